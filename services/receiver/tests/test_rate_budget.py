"""The share arithmetic of the shared rate budget, without Kafka: reports are handed over."""

from __future__ import annotations

import pytest

from barito_receiver.rate_budget import RateView
from barito_receiver.token_bucket import RateLimiter

INTERVAL_S = 0.25
LIMIT = 300


class Instances:
    """Views of several instances, each hearing every report the others publish."""

    def __init__(self, names: list[str]) -> None:
        self.views = {name: RateView(window_s=2.0, peer_timeout_s=1.0) for name in names}
        self.now = 100.0
        for view in self.views.values():
            view.heard_self(self.now)

    def round(self, asked: dict[str, int], *, silent: frozenset[str] = frozenset()) -> None:
        """One report interval: ``asked`` events of app a1 at each instance; all hear it."""
        self.now += INTERVAL_S
        for name, view in self.views.items():
            if name in silent:
                continue
            counts = {"a1": (asked[name], 0)} if asked.get(name) else {}
            view.own.add(self.now, INTERVAL_S, counts)
            view.heard_self(self.now)
            for other, peer in self.views.items():
                if other != name:
                    peer.heard_peer(name, self.now, INTERVAL_S, counts)
        for view in self.views.values():
            view.refresh(self.now)

    def shares(self) -> dict[str, float]:
        return {name: view.share("a1", LIMIT, self.now) for name, view in self.views.items()}


def test_in_overload_the_limit_is_split_by_demand_and_the_parts_add_up_to_it() -> None:
    instances = Instances(["a", "b", "c"])
    for _ in range(8):
        instances.round({"a": 100, "b": 50, "c": 50})  # 800 events/s asked for 300
    shares = instances.shares()
    assert shares == pytest.approx({"a": 0.5, "b": 0.25, "c": 0.25})


def test_under_the_limit_each_gets_its_demand_and_an_equal_part_of_the_headroom() -> None:
    instances = Instances(["a", "b", "c"])
    for _ in range(8):
        instances.round({"a": 30, "b": 0, "c": 0})  # 120 events/s of 300
    rates = {name: share * LIMIT for name, share in instances.shares().items()}
    assert rates == pytest.approx({"a": 120 + 60, "b": 60, "c": 60})


def test_a_silent_instance_drops_out_and_the_others_take_its_part() -> None:
    instances = Instances(["a", "b", "c"])
    for _ in range(8):
        instances.round({"a": 50, "b": 50, "c": 50})
    for _ in range(6):  # 1.5 s without a word from c
        instances.round({"a": 50, "b": 50}, silent=frozenset({"c"}))
    shares = instances.shares()
    assert shares["a"] + shares["b"] == pytest.approx(1.0)
    assert instances.views["a"].refresh(instances.now) == 2


def test_an_instance_whose_own_reports_do_not_come_back_keeps_the_others_and_splits_evenly() -> (
    None
):
    instances = Instances(["a", "b", "c"])
    for _ in range(8):
        instances.round({"a": 100, "b": 10, "c": 10})
    cut_off = instances.views["a"]
    instances.now += 5.0  # Kafka unreachable: nothing heard, not even its own reports
    assert cut_off.refresh(instances.now) == 3
    assert cut_off.share("a1", LIMIT, instances.now) == pytest.approx(1 / 3)


def test_a_leaving_instance_is_counted_out_at_once() -> None:
    instances = Instances(["a", "b"])
    for _ in range(4):
        instances.round({"a": 50, "b": 50})
    instances.views["a"].forget("b")
    assert instances.views["a"].share("a1", LIMIT, instances.now) == 1.0


def test_a_newcomer_gets_a_part_of_an_overloaded_app_from_its_first_report() -> None:
    instances = Instances(["a", "b"])
    for _ in range(8):
        instances.round({"a": 100, "b": 100})
    newcomer = RateView(window_s=2.0, peer_timeout_s=1.0)
    instances.views["n"] = newcomer
    newcomer.heard_self(instances.now)
    for name in ("a", "b"):  # what it read of the last window when it started
        newcomer.heard_peer(name, instances.now, 2.0, {"a1": (800, 0)})
    assert newcomer.share("a1", LIMIT, instances.now) == 0.0  # asked nothing yet
    instances.round({"a": 100, "b": 100, "n": 100})
    shares = instances.shares()
    assert shares["n"] > 0
    assert sum(shares.values()) == pytest.approx(1.0, abs=0.05)


def test_alone_an_instance_holds_the_whole_limit_before_and_after_it_hears_anything() -> None:
    view = RateView(window_s=2.0, peer_timeout_s=1.0)
    assert view.share("a1", LIMIT, 0.0) == 1.0  # Kafka not read yet
    view.heard_self(0.0)
    view.own.add(0.25, 0.25, {"a1": (500, 75)})
    view.refresh(0.25)
    assert view.share("a1", LIMIT, 0.25) == 1.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_changed_share_takes_effect_without_refilling_the_bucket() -> None:
    clock = Clock()
    limiter = RateLimiter(burst_seconds=1.0, clock=clock)
    assert limiter.admit("a1", 100, 100) == 0  # the whole bucket
    limiter.set_share("a1", 0.5)
    clock.now = 0.5  # 25 events at the new rate of 50/s, not a fresh bucket of 50
    assert limiter.admit("a1", 100, 25) == 0
    assert limiter.admit("a1", 100, 1) == 1
    assert limiter.take_counts() == {"a1": (126, 125)}
    assert limiter.take_counts() == {}


def test_without_a_share_every_request_is_refused_and_told_to_retry_in_a_second() -> None:
    limiter = RateLimiter(burst_seconds=10.0, clock=Clock())
    limiter.initial_share = lambda _app_id, _tps: 0.0
    assert limiter.admit("a1", 300, 1) == 1
    assert limiter.take_counts() == {"a1": (1, 0)}
