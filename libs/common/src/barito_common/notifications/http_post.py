"""POSTing a channel's JSON body, with the retry policy of :mod:`.retry`.

Retried: connection errors, timeouts, 408, 429 and 5xx (a ``Retry-After``
the receiver sends is honoured while it fits the budget). Any other
non-2xx answer fails at once: a 403 or 404 will not cure itself.

The request goes straight to an httpx transport rather than through
``httpx.AsyncClient``, whose INFO log line names the URL: a Slack webhook's
URL is its secret, and no log line may carry it.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from barito_common.notifications.contract import DeliveryResult
from barito_common.notifications.retry import Attempt, Tries, with_retries
from barito_common.notifications.targets import PRIVATE_TARGETS_SETTING, private_address

__all__ = ["ATTEMPT_TIMEOUT_S", "post_json"]

ATTEMPT_TIMEOUT_S = 10.0


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Built once: loading the trust store costs ~27 ms of CPU, which a
    # transport made per delivery paid for every notification, http:// too
    # (bench/alerts measured it as most of the server's alerting CPU).
    return httpx.create_ssl_context()


_BODY_WORDS = 200
_RETRIED_STATUSES = frozenset({408, 429})


async def post_json(
    url: str,
    body: bytes,
    *,
    where: str,
    headers: Callable[[], dict[str, str]],
    tries: Tries,
    private_targets: bool,
) -> DeliveryResult:
    """POST ``body`` to ``url`` until a 2xx; ``where`` names the receiver in errors.

    ``headers()`` is called for every attempt, so a signature's timestamp is
    that attempt's. Unless ``private_targets``, a URL whose host resolves to a
    private address is refused before anything is sent (:mod:`.targets`).
    """
    try:
        httpx.URL(url)
    except httpx.InvalidURL:
        return DeliveryResult(False, 0, f"{where} is not a usable http(s) URL")
    if not url.startswith(("http://", "https://")):
        return DeliveryResult(False, 0, f"{where} is not a usable http(s) URL")
    if not private_targets and (address := await private_address(url)) is not None:
        return DeliveryResult(
            False,
            0,
            f"{where} resolves to {address}, a private or local address; this installation "
            f"sends notifications to public addresses only ({PRIVATE_TARGETS_SETTING})",
        )

    async with httpx.AsyncHTTPTransport(verify=_tls_context(), retries=0) as transport:

        async def attempt(time_limit_s: float) -> Attempt:
            request = httpx.Request(
                "POST",
                url,
                content=body,
                headers={"Content-Type": "application/json", **headers()},
                extensions={"timeout": httpx.Timeout(time_limit_s).as_dict()},
            )
            try:
                response = await transport.handle_async_request(request)
                try:
                    answer = (await response.aread())[: _BODY_WORDS * 4]
                finally:
                    await response.aclose()
            except httpx.TimeoutException:
                return Attempt(False, True, f"no answer from {where} within {time_limit_s:.3g} s")
            except httpx.TransportError as err:
                # The exception's type says enough (ConnectError, RemoteProtocolError);
                # its text may quote the URL, which may be the secret.
                return Attempt(False, True, f"could not reach {where} ({type(err).__name__})")
            return _judge(response, answer, where)

        return await with_retries(
            attempt,
            tries=tries,
            timeout_s=ATTEMPT_TIMEOUT_S,
        )


def _judge(response: httpx.Response, answer: bytes, where: str) -> Attempt:
    status = response.status_code
    if 200 <= status < 300:
        return Attempt.ok()
    words = answer.decode("utf-8", "replace").strip()[:_BODY_WORDS] or None
    retry = status in _RETRIED_STATUSES or status >= 500
    return Attempt(
        delivered=False,
        retry=retry,
        error=f"HTTP {status} from {where}",
        detail=words,
        wait_s=_retry_after(response.headers.get("Retry-After")) if retry else None,
    )


def _retry_after(value: str | None) -> float | None:
    """Seconds the receiver asked to wait: a number, or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
