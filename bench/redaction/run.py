"""Redaction bench: the receiver's events per CPU-second with 0, 5 and 20 rules, one run.

    uv run python bench/redaction/run.py [--requests 60] [--rounds 3] [--concurrency 8]

Needs the local stack's Kafka (`uv run barito stack up kafka`). It registers
three throw-away apps on one receiver process (this tree's, started as users
do): one without rules (the baseline), one with 5 and one with 20 rules of a
realistic mix (detectors, field drops and masks, patterns). Every app gets
the same pre-built NDJSON bodies: bench/ingest's records (about 245 bytes),
where one event in 20 also carries an email address and one in 50 a card
number in its message, so the masking path runs too; and the same bodies
without them ("clean"), as most requests are, which the receiver tells from
one search of the body. Rounds alternate the apps' order; each app's events
per CPU-second of the receiver process (user + system time from /proc) is
printed, and its ratio to the app without rules given the same bodies.

Before that, in this process, the cost of ``Redactor.apply_all`` alone per
record (CPU microseconds, best of 5, 1,000 records a call as a request
brings them) for the same records and rule sets.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import sys
import time
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[1]
# bench/ingest's workload, load generator and receiver process, imported as its run.py does.
sys.path.insert(1, str(BENCH / "ingest"))

from drivers import drive_http  # noqa: E402
from hot_path import receiver, tree_cpu_seconds  # noqa: E402
from workload import EVENTS_PER_REQUEST, make_records, ndjson_body  # noqa: E402

from barito_common.app_registry import AppRegistry  # noqa: E402
from barito_common.redaction import RedactionKind, RedactionRuleSpec, compile_redactor  # noqa: E402
from barito_common.settings import KafkaSettings  # noqa: E402
from barito_testing.apps import App, Apps  # noqa: E402


def _rule(name: str, kind: RedactionKind, **fields: str) -> RedactionRuleSpec:
    return RedactionRuleSpec(id=uuid.uuid4(), name=name, kind=kind, **fields)  # type: ignore[arg-type]


D, P, M, X = RedactionKind.DETECTOR, RedactionKind.PATTERN, RedactionKind.MASK, RedactionKind.DROP
FIVE = [
    _rule("card", D, detector="credit_card"),
    _rule("mail", D, detector="email"),
    _rule("token", D, detector="jwt"),
    _rule("password", M, field="user.password"),
    _rule("session", P, pattern=r"session=[0-9a-f]{32}"),
]
TWENTY = [
    *FIVE,
    _rule("bearer", D, detector="bearer_token"),
    _rule("aws", D, detector="aws_key"),
    _rule("ssn", P, pattern=r"\b\d{3}-\d{2}-\d{4}\b"),
    _rule("iban", P, pattern=r"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b"),
    _rule("phone", P, pattern=r"\+\d{1,3}[ -]?\d{3}[ -]?\d{3}[ -]?\d{3,4}"),
    _rule("api-key", P, pattern=r"(?i)api[_-]?key=[A-Za-z0-9]{20,}"),
    _rule("ip-secret", P, pattern=r"secret_ip=\d+\.\d+\.\d+\.\d+"),
    _rule("cookie", M, field="http.cookie"),
    _rule("auth", M, field="http.headers.authorization"),
    _rule("body", X, field="http.body"),
    _rule("debug", X, field="debug"),
    _rule("address", M, field="user.address"),
    _rule("dob", M, field="user.birth_date"),
    _rule("raw", X, field="raw"),
    _rule("pin", P, pattern=r"pin=\d{4,6}"),
]
RULE_SETS = {0: [], 5: FIVE, 20: TWENTY}


def records(seed: int, *, secrets: bool = True) -> list[dict[str, Any]]:
    """bench/ingest's records; with ``secrets``, one in 20 with an email and one in 50
    with a card number."""
    made = make_records(seed)
    for n, record in enumerate(made if secrets else ()):
        if n % 20 == 0:
            record["user_email"] = f"user{n}@example.com"
        if n % 50 == 0:
            record["message"] += " paid with 4111 1111 1111 1111"
    return made


def apply_cost(rules: list[RedactionRuleSpec], sample: list[dict[str, Any]]) -> float:
    """CPU microseconds of ``Redactor.apply_all`` per record, best of 5 passes over ``sample``."""
    redactor = compile_redactor(rules)
    best = float("inf")
    for _ in range(5):
        batches = [
            copy.deepcopy(sample[n : n + EVENTS_PER_REQUEST])
            for n in range(0, len(sample), EVENTS_PER_REQUEST)
        ]
        started = time.process_time()
        for batch in batches:  # as the receiver does, a request's records at once
            redactor.apply_all(batch)
        best = min(best, time.process_time() - started)
    return best / len(sample) * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=60, help="bodies per app per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8, help="HTTP requests at once")
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    args = parser.parse_args()

    sample = [record for seed in range(5) for record in records(seed)]
    print("Redactor.apply_all alone, CPU per record (best of 5):", flush=True)
    for count, rules in RULE_SETS.items():
        if rules:
            print(f"  {count:>2} rules: {apply_cost(rules, sample):6.2f} us", flush=True)

    kafka = KafkaSettings(
        bootstrap_servers=args.bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:6]}."
    )
    registry = AppRegistry(kafka)  # creates the registry topic, as the market's would
    await registry.start()
    await registry.wait_loaded(30)
    apps = Apps(kafka, registry)
    await apps.producer.start()
    try:
        registered: dict[int, App] = {
            count: await apps.register(tps=10_000_000, partitions=2, redaction_rules=rules)
            for count, rules in RULE_SETS.items()
        }
    finally:
        await apps.producer.stop()
        await registry.stop()
    kinds = {
        "with secrets": [ndjson_body(records(seed)) for seed in range(args.requests)],
        "clean": [ndjson_body(records(seed, secrets=False)) for seed in range(args.requests)],
    }
    bodies = kinds["with secrets"]
    events = len(bodies) * EVENTS_PER_REQUEST
    print(
        f"{args.requests} NDJSON bodies x {EVENTS_PER_REQUEST} events "
        f"({sum(map(len, bodies)) / events:.0f} bytes/event) per app per round, "
        f"{args.rounds} rounds, concurrency {args.concurrency}",
        flush=True,
    )
    runs = [(count, kind) for count in RULE_SETS for kind in kinds]
    cpu = dict.fromkeys(runs, 0.0)
    rounds: dict[tuple[int, str], list[float]] = {run: [] for run in runs}
    async with receiver("this tree", kafka, None) as target:
        url = f"{target.url}/api/v1/logs"

        def headers(count: int) -> dict[str, str]:
            return {**registered[count].headers, "Content-Type": "application/x-ndjson"}

        for count in RULE_SETS:  # warm-up: connections, imports, Kafka metadata, compiling
            await drive_http(url, headers(count), bodies[:5], 2)
        for round_ in range(args.rounds):
            for count, kind in runs if round_ % 2 == 0 else runs[::-1]:
                before = tree_cpu_seconds(target.pid)
                await drive_http(url, headers(count), kinds[kind], args.concurrency)
                spent = tree_cpu_seconds(target.pid) - before
                cpu[count, kind] += spent
                rounds[count, kind].append(events / spent)
    for count, kind in runs:
        # The baseline: the app without rules, given the same bodies.
        base = events * args.rounds / cpu[0, kind]
        rate = events * args.rounds / cpu[count, kind]
        per_round = " / ".join(f"{r:,.0f}" for r in rounds[count, kind])
        print(
            f"{count:>2} rules, {kind:<12} bodies: {rate:>9,.0f} events/CPU-s  "
            f"ratio to 0 rules {rate / base:.2f}  (rounds: {per_round})",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
