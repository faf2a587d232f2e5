"""Finding the markers in search, through the market's log search API as a user would.

Every interval, ``GET /api/v1/apps/{app}/logs`` with an API token of a member
of the app's group, filtered to this run (``filter=canary.run:<run>``),
sorted by sequence number, over a range that covers every marker not yet
found and reaches one deadline back: a marker indexed twice (two documents,
two ids) within that time is counted as a duplicate. The ack→searchable
latency is taken when the answer arrives, so it is at most one interval late.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import httpx

from barito_cli.canary_markers import Path
from barito_cli.canary_metrics import Tracker

__all__ = ["SearchChecker"]

log = logging.getLogger("barito_cli.canary")

SEARCH_TIMEOUT = httpx.Timeout(10.0)
# The market's largest page and deepest result (from + size).
_PAGE_SIZE = 500
_RESULT_WINDOW = 10_000
# The range's end lies ahead of the clock, so a marker stamped just now is inside it.
_AHEAD_S = 60.0


class SearchChecker:
    def __init__(
        self,
        client: httpx.AsyncClient,
        tracker: Tracker,
        *,
        market_url: str,
        app: str,
        token: str,
        interval_s: float,
    ) -> None:
        self.client = client
        self.tracker = tracker
        self.url = f"{market_url.rstrip('/')}/api/v1/apps/{app}/logs"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.interval_s = interval_s

    async def run(self) -> None:
        """Search every interval until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            await self.check()

    async def check(self) -> None:
        """One pass over the range, page by page; a failed request ends the pass."""
        now = self.tracker.wall_clock()
        start = self.tracker.ledger.search_window_start(now_wall=now)
        for page in range(1, _RESULT_WINDOW // _PAGE_SIZE + 1):
            answer = await self._page(start, now + _AHEAD_S, page)
            if answer is None:
                return
            for hit in answer.get("hits", []):
                self.tracker.seen(Path.SEARCH, hit.get("source") or {}, document_id=hit.get("id"))
            if page * _PAGE_SIZE >= int(answer.get("total") or 0):
                return

    async def _page(self, start: float, end: float, page: int) -> dict[str, Any] | None:
        params: dict[str, str | int] = {
            "start": _iso(start),
            "end": _iso(end),
            "filter": f"canary.run:{self.tracker.ledger.run}",
            "sort": "canary.seq",
            "order": "asc",
            "size": _PAGE_SIZE,
            "page": page,
        }
        try:
            response = await self.client.get(
                self.url, params=params, headers=self.headers, timeout=SEARCH_TIMEOUT
            )
        except httpx.HTTPError as err:
            self.tracker.error("search", type(err).__name__)
            log.warning("The canary's search failed.", extra={"ctx": {"error": repr(err)}})
            return None
        if not response.is_success:
            self.tracker.error("search", str(response.status_code))
            log.warning(
                "The market refused the canary's search.",
                extra={"ctx": {"status": response.status_code, "error": response.text[:500]}},
            )
            return None
        try:
            answer: dict[str, Any] = response.json()
        except ValueError:
            self.tracker.error("search", "not_json")
            return None
        return answer


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")
