"""From a tail request to a ready session: parse, authorize, take a slot, fix the start.

Everything that can fail does so here, before the first byte is streamed,
so a bad filter, token or ``since`` is a 400, a refused caller a 401/404, a
full server a 429 and a Kafka problem a 503, each with a JSON error, and
never a stream that opens and silently shows nothing. Anything else is a bug:
a 500, logged with its traceback.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from time import time

from aiokafka.errors import KafkaError
from starlette.datastructures import Headers

from barito_common.app_registry import AppRegistry
from barito_common.clusters import kafka_settings_for
from barito_common.errors import ApiError
from barito_common.event_filters import BadFilter, EventFilter, parse_filter
from barito_server.auth import authorize
from barito_server.catch_up import CatchUp
from barito_server.market_access import MarketAccess
from barito_server.metrics import TailMetrics
from barito_server.reader_hub import ReaderHub, TailLimitReached, TopicMissing
from barito_server.resume_token import BadResumeToken, Position, decode_token
from barito_server.settings import ServerSettings
from barito_server.tail_session import SessionLimits, TailSession

__all__ = ["PreparedTail", "TailOptions", "TailServices", "parse_options", "prepare_tail"]

log = logging.getLogger(__name__)

# What a Kafka that is away or slow raises through aiokafka: only these mean
# "retry shortly". Anything else is a bug of ours, and calling it a Kafka
# outage would send the operator to look at a healthy Kafka.
_KAFKA_TROUBLE = (KafkaError, OSError, TimeoutError)


@dataclass(frozen=True)
class TailServices:
    """What the tail endpoints need, created in the lifespan."""

    settings: ServerSettings
    registry: AppRegistry
    market: MarketAccess
    hub: ReaderHub
    metrics: TailMetrics


@dataclass(frozen=True)
class TailOptions:
    event_filter: EventFilter
    since_s: float | None
    resume: dict[int, Position] | None


@dataclass
class PreparedTail:
    session: TailSession
    resources: AsyncExitStack


def parse_options(
    query: Mapping[str, str], fields: Sequence[str], *, app: str, settings: ServerSettings
) -> TailOptions:
    """The tail's filters and start point from its query string; 400 on anything invalid."""
    try:
        event_filter = parse_filter(
            q=query.get("q"),
            regex=query.get("regex"),
            level=query.get("level"),
            fields=fields,
            max_length=settings.max_pattern_length,
        )
    except BadFilter as err:
        raise ApiError(400, f"Invalid filter: {err}.", code="invalid_filter") from err
    since_s = None
    if "since" in query:
        try:
            since_s = float(query["since"])
        except ValueError:
            since_s = -1.0
        if not 0 < since_s <= settings.max_since_s:
            raise ApiError(
                400,
                f"since must be a number of seconds, above 0 and at most {settings.max_since_s}.",
                code="invalid_since",
            )
    resume = None
    if "resume" in query:
        if since_s is not None:
            raise ApiError(400, "Give since or resume, not both.", code="invalid_start")
        try:
            resume = decode_token(query["resume"], app=app)
        except BadResumeToken as err:
            raise ApiError(400, f"Invalid resume token: {err}.", code="invalid_resume") from err
    return TailOptions(event_filter, since_s, resume)


async def prepare_tail(
    services: TailServices, *, app: str, headers: Headers, options: TailOptions
) -> PreparedTail:
    settings = services.settings
    profile = await authorize(services.registry, services.market, headers, app=app)
    resources = AsyncExitStack()
    try:
        # Only this app's cluster is asked: another cluster being away is no 503 here.
        kafka = kafka_settings_for(settings.kafka, profile.cluster)
        reader = await resources.enter_async_context(
            services.hub.join(app, profile.topic, profile.cluster)
        )
        catch_up = None
        start = "end"
        since_ms = None if options.since_s is None else int((time() - options.since_s) * 1000)
        if since_ms is not None or options.resume is not None:
            start = "since" if options.since_s is not None else "resume"
            catch_up = await CatchUp.open(
                kafka,
                app=app,
                topic=profile.topic,
                partitions=reader.partitions,
                since_ms=since_ms,
                resume=options.resume,
            )
            resources.push_async_callback(catch_up.close)
        session = TailSession(
            reader=reader,
            event_filter=options.event_filter,
            limits=SessionLimits(
                queue_events=settings.client_queue_events,
                heartbeat_s=settings.heartbeat_s,
                idle_timeout_s=settings.idle_timeout_s,
                batch_bytes=settings.max_frame_batch_bytes,
            ),
            metrics=services.metrics,
            catch_up=catch_up,
            start=start,
        )
        resources.callback(session.close)
    except TailLimitReached as err:
        await resources.aclose()
        raise ApiError(429, str(err), code="too_many_tails", headers={"Retry-After": "5"}) from err
    except TopicMissing as err:
        await resources.aclose()
        raise ApiError(404, f"App '{app}' has no logs yet: {err}.") from err
    except _KAFKA_TROUBLE as err:
        with contextlib.suppress(Exception):
            await resources.aclose()
        raise ApiError(
            503, "Kafka is not answering; retry shortly.", headers={"Retry-After": "5"}
        ) from err
    except Exception as err:
        with contextlib.suppress(Exception):
            await resources.aclose()
        # Raised as an ApiError rather than left to the app's handler, because a
        # websocket has no exception handler: it would be dropped without a word.
        log.error(
            "Preparing a tail failed unexpectedly.", exc_info=err, extra={"ctx": {"app": app}}
        )
        raise ApiError(
            500, "The server failed on this request; it has been logged.", code="internal"
        ) from err
    return PreparedTail(session, resources)
