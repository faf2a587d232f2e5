"""Asks the market whether a session or API token may read an app, and remembers briefly.

The tail server knows no users: the market does. It forwards the caller's
own ``Authorization`` and ``Cookie`` headers, unchanged, to
``GET {market_url}/api/v1/apps/{app}``, which answers 200 (may read), 401
(not authenticated) or 404 (unknown app, or not theirs). Answers are cached
per (app, credential hash): a "yes" for ``positive_s`` so reconnect storms
do not hit the market, a "no" only for ``negative_s`` so a user just added
to a group is not kept out long. Only hashes of credentials are kept.

Exceptions::

    Exception
    └── MarketUnavailable   the market did not answer, or answered something else
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from enum import Enum

import httpx

__all__ = ["MarketAccess", "MarketUnavailable", "Verdict"]

_MAX_CACHED = 10_000


class MarketUnavailable(Exception):
    """The market could not be asked; the caller's access is unknown."""


class Verdict(Enum):
    ALLOWED = 200
    UNAUTHENTICATED = 401
    NOT_FOUND = 404


class MarketAccess:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        positive_s: float,
        negative_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._positive_s = positive_s
        self._negative_s = negative_s
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, Verdict]] = {}

    async def verdict(self, app: str, *, authorization: str | None, cookie: str | None) -> Verdict:
        forwarded = {
            name: value
            for name, value in (("Authorization", authorization), ("Cookie", cookie))
            if value
        }
        key = (app, hashlib.sha256(repr(sorted(forwarded.items())).encode()).hexdigest())
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            response = await self._client.get(f"/api/v1/apps/{app}", headers=forwarded)
        except httpx.HTTPError as err:
            raise MarketUnavailable(f"the market did not answer: {err!r}") from err
        try:
            verdict = Verdict(200 if response.is_success else response.status_code)
        except ValueError as err:
            raise MarketUnavailable(f"the market answered {response.status_code}") from err
        ttl = self._positive_s if verdict is Verdict.ALLOWED else self._negative_s
        if len(self._cache) >= _MAX_CACHED:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
        self._cache[key] = (now + ttl, verdict)
        return verdict
