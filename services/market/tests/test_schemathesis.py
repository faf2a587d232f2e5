"""Schemathesis over the market's own OpenAPI, in-process, as a superadmin and as a member.

Every operation of the schema gets generated requests (valid and not); each
answer must be no 5xx and must match the schema's declared responses. The
market runs with its real lifespan on real Postgres and Kafka (and
Elasticsearch for status and search).

Hypothesis drives a synchronous test body, so it runs in a worker thread and
hands each request to the market's own event loop: the market's database
and Kafka clients belong to that loop and cannot be used from another.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from barito_common.settings import SearchSettings
from barito_testing.market import Market, MarketUser, market_on_postgres

EXAMPLES_PER_CALLER = 150
OBSERVING_EXAMPLES_PER_CALLER = 100


@dataclass
class Known:
    """Real path values, so generated requests also reach existing apps and groups."""

    callers: dict[str, MarketUser]
    path_values: dict[str, str]


@pytest.fixture(scope="module")
async def market(stack: Any) -> AsyncIterator[Market]:
    search = SearchSettings(url=stack.elasticsearch_url, index_prefix=f"s{uuid.uuid4().hex[:8]}-")
    async with market_on_postgres(stack, search=search) as market:
        yield market


@pytest.fixture(scope="module")
async def known(market: Market) -> Known:
    owner = await market.create_user()
    member = await market.create_user()
    superadmin = await market.create_user(superadmin=True)
    registered = await market.client.post(
        "/api/v1/apps",
        headers=owner.headers,
        json={"name": "checkout", "new_group": f"shop-{uuid.uuid4().hex[:6]}"},
    )
    assert registered.status_code == 201, registered.text
    added = await market.client.put(
        f"/api/v1/groups/{registered.json()['group']}/members",
        headers=owner.headers,
        json={"email": member.email, "role": "member"},
    )
    assert added.status_code == 200, added.text
    infrastructures = await market.client.get(
        "/api/v1/admin/infrastructures", headers=superadmin.headers
    )
    [infrastructure] = infrastructures.json()["data"]
    return Known(
        callers={"superadmin": superadmin, "member": member},
        path_values={
            "slug": registered.json()["slug"],
            "group_slug": registered.json()["group"],
            "infrastructure_id": infrastructure["id"],
            "user_id": str(member.id),
        },
    )


def _httpx_kwargs(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url="http://market", headers=headers)
    request_headers = dict(kwargs.get("headers") or {})
    if kwargs.get("cookies"):
        # As a header: httpx deprecates per-request cookies on a shared client.
        request_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items())
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": request_headers,
        "params": kwargs.get("params"),
    }
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif isinstance(kwargs.get("data"), str | bytes):
        request["content"] = kwargs["data"]
    elif kwargs.get("data") is not None:
        request["data"] = kwargs["data"]
    return request


def fuzz_operations(
    market: Market,
    known: Known,
    role: str,
    loop: asyncio.AbstractEventLoop,
    *,
    only: tuple[str, ...] = (),
    examples: int,
) -> None:
    """Send ``examples`` generated requests (of paths containing one of ``only``) as ``role``.

    Runs in a worker thread; each request runs on the market's event loop.
    """
    schema = schemathesis.openapi.from_dict(market.app.openapi())
    operations = [result.ok() for result in schema.get_all_operations() if result.ok()]
    strategies = [
        operation.as_strategy()
        for operation in operations
        if not only or any(part in operation.path for part in only)
    ]
    headers = known.callers[role].headers

    def send(request: dict[str, Any]) -> httpx.Response:
        return asyncio.run_coroutine_threadsafe(market.client.request(**request), loop).result(
            timeout=60
        )

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies), real_path=st.booleans())
    def fuzz(case: Any, real_path: bool) -> None:
        # Half the cases address the real app, group and infrastructure, so the
        # checks also see full answers, not only 404s. Deletes keep their
        # generated values: deleting the real app would end that for the rest.
        if real_path and case.method.upper() != "DELETE":
            for name in case.path_parameters or {}:
                if name in known.path_values:
                    case.path_parameters[name] = known.path_values[name]
        response = send(_httpx_kwargs(case, headers))
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    fuzz()


# Hypothesis draws in this test's worker thread while the market's event loop
# (the Kafka clients pick brokers with the global `random`) runs in another;
# Hypothesis then sees the global random state move during a draw and warns.
_RANDOM_FROM_ANOTHER_THREAD = "ignore:Do not use the `random` module inside strategies"


@pytest.mark.filterwarnings(_RANDOM_FROM_ANOTHER_THREAD)
@pytest.mark.parametrize("role", ["superadmin", "member"])
async def test_generated_requests_get_no_5xx_and_answers_that_match_the_schema(
    market: Market, known: Known, role: str
) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.to_thread(
        fuzz_operations, market, known, role, loop, examples=EXAMPLES_PER_CALLER
    )


@pytest.mark.filterwarnings(_RANDOM_FROM_ANOTHER_THREAD)
@pytest.mark.parametrize("role", ["superadmin", "member"])
async def test_status_search_and_admin_hold_up_under_generated_requests(
    market: Market, known: Known, role: str
) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.to_thread(
        fuzz_operations,
        market,
        known,
        role,
        loop,
        only=("/status", "/logs", "/admin/"),
        examples=OBSERVING_EXAMPLES_PER_CALLER,
    )
