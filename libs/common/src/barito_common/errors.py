"""The JSON error body every Barito endpoint answers with.

``{"error": {"code": "not_found", "message": "No app named 'x'."}}`` — the
code is stable for programs, the message is written for the person reading it.
A route documents the error answers it gives with :func:`error_response`::

    RESPONSES = {404: error_response("No such app.")}

    @router.get("/apps/{slug}", response_model=AppPublic, responses=RESPONSES)
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = ["ApiError", "error_body", "error_response", "install_error_handlers"]

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    """Raise from a route to answer ``status`` with a JSON error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.headers = headers
        self.details = details


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **details}}


def error_response(description: str) -> dict[str, Any]:
    """The OpenAPI description of an error answer: ``description`` and the body's shape.

    >>> error_response("No such app.")["content"]["application/json"]["example"]
    {'error': {'code': '...', 'message': 'what was wrong'}}
    """
    return {
        "description": description,
        "content": {"application/json": {"example": error_body("...", "what was wrong")}},
    }


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, **(exc.details or {})),
            status_code=exc.status,
            headers=exc.headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(_CODES.get(exc.status_code, "error"), str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
            for err in exc.errors()
        ]
        problems = [f"{field['field']}: {field['message']}" for field in fields]
        # "fields" keeps the detail per field, so a form can mark the right input.
        return JSONResponse(
            error_body("invalid_request", "; ".join(problems) or "invalid request", fields=fields),
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "Request failed unexpectedly.",
            exc_info=exc,
            extra={"ctx": {"path": request.url.path}},
        )
        return JSONResponse(
            error_body("internal", "The server failed on this request; it has been logged."),
            status_code=500,
        )
