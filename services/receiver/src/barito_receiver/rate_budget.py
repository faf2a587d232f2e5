"""The shared rate budget: how an app's limit is split between the instances enforcing it.

Every instance (a receiver replica, or one worker process of one) reports a
few times a second how many events of each app it was asked for and admitted
(``rate_gossip`` carries the reports over Kafka). From the reports of the last
``window_s`` each instance knows every instance's demand (events/s asked) and
fills its own bucket at its part of the limit (:func:`allocate`); as everyone
computes the same split from the same reports, the parts add up to the limit.

Who takes part: an instance counts from its first report and drops out once
none came for ``peer_timeout_s`` (it died, or left), and the others take its
part. That verdict needs this instance's own reports to come back through
Kafka: while they do not, silence proves nothing, so the last known instances
stay and the limit is split evenly between them (:meth:`RateView.share`).

All of it is pure bookkeeping, with the clock passed in; no I/O.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["Demand", "RateView", "allocate"]

Counts = dict[str, tuple[int, int]]


def allocate(limit: float, *, own: float, total: float, instances: int) -> float:
    """This instance's events/s of an app's ``limit``, from demand in events/s asked.

    ``total`` is every instance's demand, this one's ``own`` included. Over the
    limit, it is split in proportion to demand, so a request has the same
    chance wherever it lands; under it, each instance gets its own demand and
    an equal part of the headroom, so a rise anywhere finds room at once. Both
    add up to the limit over the instances, and meet where demand equals it.

    >>> allocate(300, own=400, total=1200, instances=3)  # overload: a third of it
    100.0
    >>> allocate(300, own=0, total=900, instances=3)  # asked nothing yet: nothing
    0.0
    >>> allocate(300, own=50, total=150, instances=3)  # 50 + (300 - 150) / 3
    100.0
    >>> allocate(300, own=120, total=120, instances=1)  # alone, the whole limit
    300.0
    """
    if total > limit:
        return limit * own / total
    return own + (limit - total) / instances


@dataclass(slots=True)
class _Report:
    arrival: float
    interval_s: float
    apps: Counts


class Demand:
    """One instance's events/s asked per app, over its reports of the last ``window_s``.

    >>> demand = Demand(window_s=2.0)
    >>> demand.add(10.0, 0.25, {"a1": (50, 40)})
    >>> demand.add(10.25, 0.25, {"a1": (100, 60)})
    >>> demand.rate("a1"), demand.rate("a2")
    (300.0, 0.0)
    >>> demand.expire(12.1)  # the first report left the window
    >>> demand.rate("a1")
    400.0
    """

    def __init__(self, *, window_s: float) -> None:
        self._window_s = window_s
        self._reports: deque[_Report] = deque()
        self._asked: dict[str, int] = {}
        self._covered_s = 0.0
        self.last_heard: float | None = None

    def add(self, arrival: float, interval_s: float, apps: Counts) -> None:
        self._reports.append(_Report(arrival, interval_s, apps))
        self._covered_s += interval_s
        for app_id, (asked, _admitted) in apps.items():
            self._asked[app_id] = self._asked.get(app_id, 0) + asked
        self.last_heard = arrival if self.last_heard is None else max(self.last_heard, arrival)

    def expire(self, now: float) -> None:
        reports = self._reports
        while reports and reports[0].arrival < now - self._window_s:
            report = reports.popleft()
            self._covered_s -= report.interval_s
            for app_id, (asked, _admitted) in report.apps.items():
                left = self._asked[app_id] - asked
                if left:
                    self._asked[app_id] = left
                else:
                    del self._asked[app_id]
        if not reports:
            self._covered_s = 0.0  # no float residue once the window is empty

    def rate(self, app_id: str) -> float:
        # Over the time the reports cover, not the whole window: a newcomer's
        # first report already says how fast it is asked.
        asked = self._asked.get(app_id, 0)
        return asked / self._covered_s if asked and self._covered_s > 0 else 0.0


class RateView:
    """What this instance knows of every instance's demand, and its own share from it."""

    def __init__(self, *, window_s: float, peer_timeout_s: float) -> None:
        self._window_s = window_s
        self._peer_timeout_s = peer_timeout_s
        self.own = Demand(window_s=window_s)
        self._peers: dict[str, Demand] = {}
        self._self_heard: float | None = None

    def heard_peer(self, instance: str, arrival: float, interval_s: float, apps: Counts) -> None:
        demand = self._peers.get(instance)
        if demand is None:
            demand = self._peers[instance] = Demand(window_s=self._window_s)
        demand.add(arrival, interval_s, apps)

    def forget(self, instance: str) -> None:
        """The instance said it stops: the others take its part now."""
        self._peers.pop(instance, None)

    def heard_self(self, arrival: float) -> None:
        """One of this instance's reports came back: Kafka carries what it says."""
        self._self_heard = arrival if self._self_heard is None else max(self._self_heard, arrival)

    def connected(self, now: float) -> bool:
        heard = self._self_heard
        return heard is not None and now - heard <= self._peer_timeout_s

    def refresh(self, now: float) -> int:
        """Forget what fell out of the window and who fell silent; the instances counted."""
        self.own.expire(now)
        if self.connected(now):
            for instance in [
                instance
                for instance, demand in self._peers.items()
                if demand.last_heard is None or now - demand.last_heard > self._peer_timeout_s
            ]:
                del self._peers[instance]
        for demand in self._peers.values():
            demand.expire(now)
        return 1 + len(self._peers)

    def share(self, app_id: str, limit: float, now: float) -> float:
        """This instance's fraction of ``limit`` (0..1) for the app, as of the last refresh."""
        instances = 1 + len(self._peers)
        if not self.connected(now):
            return 1.0 / instances
        own = self.own.rate(app_id)
        total = own + sum(demand.rate(app_id) for demand in self._peers.values())
        return allocate(limit, own=own, total=total, instances=instances) / limit
