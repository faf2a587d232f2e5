"""``GET /api/v1/tail/{app}``: a websocket, or without the upgrade an NDJSON stream."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, WebSocket
from starlette.requests import HTTPConnection

from barito_common.errors import ApiError, error_response
from barito_server.streaming import NdjsonTail, refuse_websocket, serve_websocket
from barito_server.tail_request import (
    PreparedTail,
    TailServices,
    parse_options,
    prepare_tail,
)

__all__ = ["router"]

router = APIRouter(tags=["tail"])

PATH = "/api/v1/tail/{app}"


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "NDJSON frames: started, event, dropped, heartbeat, closed; each with "
        "a resume token.",
        "content": {"application/x-ndjson": {}},
    },
    400: error_response("Invalid filter, since or resume token."),
    401: error_response("No credentials, or unknown ones."),
    404: error_response("No such app, or not one these credentials may read."),
    409: error_response(
        "X-App-Name is the display name of two active apps of the group; send a slug."
    ),
    429: error_response("Too many tails of this app or on this server."),
    503: error_response("Registry loading, market or Kafka unreachable; see Retry-After."),
}


async def _prepare(connection: HTTPConnection, app: str) -> PreparedTail:
    services: TailServices = connection.app.state.tail
    options = parse_options(
        connection.query_params,
        connection.query_params.getlist("field"),
        app=app,
        settings=services.settings,
    )
    return await prepare_tail(services, app=app, headers=connection.headers, options=options)


@router.get(PATH, responses=RESPONSES, response_model=None)
async def tail_stream(
    request: Request,
    app: str,
    q: Annotated[str | None, Query(description="Substring of the event's JSON line.")] = None,
    regex: Annotated[str | None, Query(description="RE2 regex searched in the JSON line.")] = None,
    level: Annotated[str | None, Query(description="Comma-separated levels, any case.")] = None,
    field: Annotated[
        list[str] | None, Query(description="name=value, repeatable; dotted names nest.")
    ] = None,
    since: Annotated[str | None, Query(description="Start this many seconds back.")] = None,
    resume: Annotated[str | None, Query(description="Continue from a frame's token.")] = None,
) -> NdjsonTail:
    """Stream the app's live logs as NDJSON (or upgrade to a websocket on this path)."""
    return NdjsonTail(await _prepare(request, app))


@router.websocket(PATH)
async def tail_websocket(websocket: WebSocket, app: str) -> None:
    """The same tail over a websocket: each text message holds whole NDJSON frames."""
    try:
        prepared = await _prepare(websocket, app)
    except ApiError as err:
        await refuse_websocket(websocket, err)
        return
    await serve_websocket(websocket, prepared)
