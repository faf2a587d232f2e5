"""The 422 a refused rule or channel gets, shaped like a request validation error."""

from __future__ import annotations

from barito_common.errors import ApiError

__all__ = ["invalid"]


def invalid(field: str, message: str, *, code: str = "invalid_request") -> ApiError:
    """422 whose message starts with the field at fault, as FastAPI's own refusals do."""
    return ApiError(
        422,
        f"{field}: {message}",
        code=code,
        details={"fields": [{"field": field, "message": message}]},
    )
