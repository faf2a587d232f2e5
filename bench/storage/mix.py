"""A deterministic, realistic mix of log records, as agents send them to the receiver.

Four kinds, in fixed proportions (:data:`MIX`), all from Kubernetes pods (the
``kubernetes`` object Fluent Bit's and Vector's Kubernetes filters add):

* **nginx access logs**, the line in ``message`` and its fields parsed beside it
  (what Fluent Bit's ``nginx`` parser with ``Reserve_Data`` or Filebeat's nginx
  module send): client address, method, path with ids and query, status,
  bytes, referer, user agent, request time;
* **JSON application logs** (logback / structlog JSON encoders): level, logger,
  thread, a templated ``message`` with ids and amounts, W3C trace and span ids,
  and nested ``service``, ``http`` and ``user`` objects;
* **Java exceptions**: the message, and ``error.type`` / ``error.message`` /
  ``error.stack_trace`` (ECS), 25 to 60 frames, a ``Caused by`` chain;
* **Python tracebacks** joined by the agent's multiline parser into ``message``.

The same seed gives the same records. Times are the receiver's canonical UTC
form, a few milliseconds apart, all on one day (one daily index).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["DAY", "MIX", "records"]

DAY = datetime(2025, 1, 31, tzinfo=UTC)
MIX = {"access": 0.60, "app": 0.32, "java_trace": 0.05, "python_trace": 0.03}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_SERVICES = ["checkout", "catalog", "cart", "payments", "search", "accounts", "shipping", "web"]
_NAMESPACES = ["shop-prod", "shop-prod", "shop-prod", "platform"]
_NODES = [f"ip-10-0-{i}-{j}.eu-west-1.compute.internal" for i in range(3) for j in (17, 42, 99)]
_METHODS = ["GET"] * 14 + ["POST"] * 4 + ["PUT", "DELETE"]
_PATHS = [
    "/api/v1/products/{id}",
    "/api/v1/products?category={word}&page={small}",
    "/api/v1/cart/{id}/items",
    "/api/v1/orders/{id}",
    "/api/v1/orders/{id}/pay",
    "/api/v1/search?q={word}+{word}&sort=price",
    "/static/js/app.{hex8}.js",
    "/static/css/main.{hex8}.css",
    "/images/products/{id}/{small}.webp",
    "/healthz",
    "/",
    "/account/login",
]
_WORDS = [
    "shoes",
    "shirt",
    "lamp",
    "chair",
    "phone",
    "cable",
    "coffee",
    "tea",
    "mug",
    "desk",
    "jacket",
    "socks",
    "watch",
    "bottle",
    "charger",
    "backpack",
    "pillow",
    "blanket",
    "knife",
    "pan",
]
_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36",
    "kube-probe/1.31",
    "Go-http-client/1.1",
    "python-requests/2.32.3",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]
_STATUSES = [200] * 40 + [201, 204, 301, 304, 304, 400, 401, 403, 404, 404, 429, 500, 502, 503]
_APP_MESSAGES = [
    "Payment authorized for order {id} amount={amount} currency=EUR",
    "Payment declined for order {id}: insufficient funds",
    "Order {id} created with {small} items",
    "Cache miss for product {id}, loading from database",
    "User u-{id} logged in from {ip}",
    "Request completed in {ms} ms",
    "Retrying call to inventory-service (attempt {small} of 5)",
    "Shipment {id} handed to carrier DHL tracking={hex8}",
    "Slow query detected: SELECT * FROM orders WHERE customer_id = ? took {ms} ms",
    "Published event OrderPlaced key={id} partition={small}",
    "Connection pool stats: active={small} idle={small} waiting=0",
    "Search for '{word} {word}' returned {small} results",
    "Token refreshed for client web-frontend",
    "Feature flag new-checkout evaluated to true for user u-{id}",
]
_LEVELS = ["INFO"] * 12 + ["DEBUG"] * 3 + ["WARN"] * 2 + ["ERROR"]
_JAVA_EXCEPTIONS = [
    (
        "java.lang.NullPointerException",
        'Cannot invoke "Order.getCustomer()" because "order" is null',
    ),
    ("java.lang.IllegalStateException", "Transaction already completed"),
    (
        "org.springframework.dao.DataAccessResourceFailureException",
        "Unable to acquire JDBC Connection",
    ),
    ("java.net.SocketTimeoutException", "Read timed out"),
    ("com.fasterxml.jackson.databind.exc.MismatchedInputException", "Cannot deserialize value"),
]
_JAVA_FRAMES = [
    "com.shop.{svc}.service.{cls}Service.{meth}({cls}Service.java:{line})",
    "com.shop.{svc}.web.{cls}Controller.{meth}({cls}Controller.java:{line})",
    "com.shop.{svc}.repository.{cls}Repository.{meth}({cls}Repository.java:{line})",
    "org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:{line})",
    "org.springframework.aop.framework.ReflectiveMethodInvocation.proceed("
    "ReflectiveMethodInvocation.java:{line})",
    "org.springframework.transaction.interceptor.TransactionInterceptor.invoke("
    "TransactionInterceptor.java:{line})",
    "org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:{line})",
    "org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:{line})",
    "java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:{line})",
    "java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke("
    "DirectMethodHandleAccessor.java:{line})",
    "com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:{line})",
]
_CLASSES = ["Order", "Payment", "Cart", "Product", "Customer", "Shipment", "Inventory"]
_METHS = ["process", "find", "save", "handle", "validate", "load", "update", "charge"]
_PY_FRAMES = [
    '  File "/app/{svc}/handlers.py", line {line}, in handle_{meth}\n'
    "    result = await {meth}(request)",
    '  File "/app/{svc}/service.py", line {line}, in {meth}\n    order = await repo.get(order_id)',
    '  File "/usr/local/lib/python3.12/site-packages/sqlalchemy/engine/base.py", line {line}, '
    "in _execute_context\n    self.dialect.do_execute(",
    '  File "/usr/local/lib/python3.12/site-packages/httpx/_client.py", line {line}, in send\n'
    "    response = await self._send_handling_auth(",
    '  File "/usr/local/lib/python3.12/asyncio/tasks.py", line {line}, in wait_for\n'
    "    return fut.result()",
]
_PY_ERRORS = [
    "KeyError: 'customer_id'",
    "sqlalchemy.exc.OperationalError: (psycopg.OperationalError) connection is closed",
    "httpx.ReadTimeout: timed out",
    "ValueError: invalid literal for int() with base 10: 'abc'",
    "TimeoutError",
]


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        # A pod population per service, as a deployment's replicas rotate.
        self.pods = {
            svc: [f"{svc}-{self._hex(10)}-{self._hex(5)}" for _ in range(6)] for svc in _SERVICES
        }
        self.clients = [self._ip(public=True) for _ in range(4000)]

    def _hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def _ip(self, *, public: bool = False) -> str:
        r = self.rng.randrange
        if public:
            return f"{r(1, 224)}.{r(256)}.{r(256)}.{r(1, 255)}"
        return f"10.{r(0, 4)}.{r(256)}.{r(1, 255)}"

    def _fill(self, template: str, svc: str = "checkout") -> str:
        """``template`` with each ``{name}`` replaced by a fresh draw (``svc`` as given)."""
        rng = self.rng
        draws: dict[str, Callable[[], str]] = {
            "id": lambda: str(rng.randrange(100_000, 9_999_999)),
            "small": lambda: str(rng.randrange(1, 40)),
            "word": lambda: rng.choice(_WORDS),
            "hex8": lambda: self._hex(8),
            "amount": lambda: f"{rng.randrange(1, 50_000) / 100:.2f}",
            "ms": lambda: str(int(rng.lognormvariate(3.5, 1.0))),
            "ip": lambda: rng.choice(self.clients),
            "svc": lambda: svc,
            "cls": lambda: rng.choice(_CLASSES),
            "meth": lambda: rng.choice(_METHS),
            "line": lambda: str(rng.randrange(20, 900)),
        }
        return _PLACEHOLDER.sub(lambda m: draws[m.group(1)](), template)

    def _kubernetes(self, svc: str, container: str) -> dict[str, Any]:
        pod = self.rng.choice(self.pods[svc])
        return {
            "pod_name": pod,
            "namespace_name": self.rng.choice(_NAMESPACES),
            "container_name": container,
            "host": _NODES[int(pod.split("-")[1], 16) % len(_NODES)],
            "labels": {"app": svc, "pod-template-hash": pod.split("-")[1]},
            "container_image": f"registry.example.com/shop/{svc}:1.42.{len(pod) % 7}",
        }

    def access(self, time: str, moment: datetime) -> dict[str, Any]:
        rng = self.rng
        client = rng.choice(self.clients)
        method = rng.choice(_METHODS)
        path = self._fill(rng.choice(_PATHS))
        status = rng.choice(_STATUSES)
        size = 0 if status in (204, 304) else int(rng.lognormvariate(8, 1.5))
        referer = rng.choice(["-", "https://shop.example.com/", f"https://shop.example.com{path}"])
        agent = rng.choice(_AGENTS)
        request_time = round(rng.lognormvariate(-4, 1.2), 3)
        stamp = moment.strftime("%d/%b/%Y:%H:%M:%S +0000")
        line = (
            f'{client} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {size} '
            f'"{referer}" "{agent}" {request_time}'
        )
        return {
            "time": time,
            "stream": "stdout",
            "message": line,
            "remote": client,
            "method": method,
            "path": path,
            "code": status,
            "size": size,
            "referer": referer,
            "agent": agent,
            "request_time": request_time,
            "kubernetes": self._kubernetes("web", "nginx"),
        }

    def app(self, time: str) -> dict[str, Any]:
        rng = self.rng
        svc = rng.choice(_SERVICES)
        status = rng.choice(_STATUSES)
        return {
            "time": time,
            "level": rng.choice(_LEVELS),
            "logger": f"com.shop.{svc}.{rng.choice(_CLASSES)}Service",
            "thread": f"http-nio-8080-exec-{rng.randrange(1, 200)}",
            "message": self._fill(rng.choice(_APP_MESSAGES), svc),
            "trace_id": self._hex(32),
            "span_id": self._hex(16),
            "service": {"name": svc, "version": "1.42.3", "environment": "production"},
            "http": {
                "method": rng.choice(_METHODS),
                "route": f"/api/v1/{svc}/{{id}}",
                "status_code": status,
                "duration_ms": round(rng.lognormvariate(3, 1), 2),
            },
            "user": {"id": f"u-{rng.randrange(1, 500_000)}"},
            "kubernetes": self._kubernetes(svc, svc),
        }

    def java_trace(self, time: str) -> dict[str, Any]:
        rng = self.rng
        svc = rng.choice(_SERVICES)
        kind, text = rng.choice(_JAVA_EXCEPTIONS)
        frames = [
            "\tat " + self._fill(rng.choice(_JAVA_FRAMES), svc)
            for _ in range(rng.randrange(25, 60))
        ]
        cause_kind, cause_text = rng.choice(_JAVA_EXCEPTIONS)
        cause = [f"Caused by: {cause_kind}: {cause_text}"] + [
            "\tat " + self._fill(rng.choice(_JAVA_FRAMES), svc) for _ in range(rng.randrange(5, 15))
        ]
        stack = "\n".join(
            [f"{kind}: {text}", *frames, *cause, f"\t... {rng.randrange(10, 80)} more"]
        )
        return {
            "time": time,
            "level": "ERROR",
            "logger": f"com.shop.{svc}.web.GlobalExceptionHandler",
            "thread": f"http-nio-8080-exec-{rng.randrange(1, 200)}",
            "message": f"Request processing failed: {kind}: {text}",
            "error": {"type": kind, "message": text, "stack_trace": stack},
            "trace_id": self._hex(32),
            "span_id": self._hex(16),
            "service": {"name": svc, "version": "1.42.3", "environment": "production"},
            "kubernetes": self._kubernetes(svc, svc),
        }

    def python_trace(self, time: str) -> dict[str, Any]:
        rng = self.rng
        svc = rng.choice(_SERVICES)
        frames = [self._fill(rng.choice(_PY_FRAMES), svc) for _ in range(rng.randrange(6, 20))]
        error = rng.choice(_PY_ERRORS)
        message = "\n".join(
            [f"Task {svc}.sync_orders failed", "Traceback (most recent call last):", *frames, error]
        )
        return {
            "time": time,
            "level": "ERROR",
            "logger": f"{svc}.worker",
            "message": message,
            "service": {"name": svc, "version": "2.7.0", "environment": "production"},
            "kubernetes": self._kubernetes(svc, f"{svc}-worker"),
        }


def records(count: int, *, seed: int = 23) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``count`` records of the mix: ``(kind, event time, record)``, the same for a seed."""
    gen = _Generator(seed)
    kinds = list(MIX)
    weights = [MIX[k] for k in kinds]
    moment = DAY + timedelta(hours=1)
    for _ in range(count):
        moment += timedelta(milliseconds=gen.rng.randrange(0, 40))
        time = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        kind = gen.rng.choices(kinds, weights)[0]
        if kind == "access":
            yield kind, time, gen.access(time, moment)
        elif kind == "app":
            yield kind, time, gen.app(time)
        elif kind == "java_trace":
            yield kind, time, gen.java_trace(time)
        else:
            yield kind, time, gen.python_trace(time)
