"""The 422 a refused rule or channel gets, shaped like a request validation error."""

from __future__ import annotations

from barito_common.errors import ApiError

__all__ = ["invalid", "plain_name"]


def invalid(field: str, message: str, *, code: str = "invalid_request") -> ApiError:
    """422 whose message starts with the field at fault, as FastAPI's own refusals do."""
    return ApiError(
        422,
        f"{field}: {message}",
        code=code,
        details={"fields": [{"field": field, "message": message}]},
    )


def plain_name(field: str, name: str) -> str:
    """The name, or 422 if it holds a control character (Postgres cannot store a NUL)."""
    if any(ord(character) < 32 or ord(character) == 127 for character in name):
        raise invalid(field, "must not contain control characters")
    return name
