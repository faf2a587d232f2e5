"""The errors the search adapter raises, and how an engine client's error becomes one::

SearchError                 (.status, .error_type, .reason)
├── SearchUnavailable       no answer, timeout, 429 or 5xx: try again later
└── SearchRequestError      4xx: the engine refused this request
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from barito_common.search.access_failures import describe_failure
from barito_common.search.bulk_result import describe_engine_error
from barito_common.settings import SearchSettings

__all__ = ["SearchError", "SearchRequestError", "SearchUnavailable", "translated_error"]


class SearchError(Exception):
    """Base of every error the search adapter raises."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        """HTTP status of the engine's answer; ``None`` when there was no answer."""
        self.error_type = error_type
        """The engine's error type, e.g. ``index_not_found_exception``."""
        self.reason = reason or message
        """The engine's own explanation, without the action and the engine's address:
        fit to show a user whose request (e.g. a query string) the engine refused."""


class SearchUnavailable(SearchError):
    """The engine did not answer, timed out, was overloaded (429) or failed (5xx)."""


class SearchRequestError(SearchError):
    """The engine refused the request (4xx); sending it again will not help."""


def translated_error(
    err: Exception,
    action: str,
    *,
    engine: str,
    url: str,
    settings: SearchSettings | None = None,
) -> SearchError:
    """``err``, raised by an engine's client while doing ``action``, as a :class:`SearchError`.

    With the client's ``settings``, a refusal of who we are (credentials,
    certificates, TLS against plain HTTP) is named rather than quoted.
    """
    # Both clients put the HTTP status on .status_code (OpenSearch puts "N/A"
    # there for connection errors) and the decoded error body on .info.
    status = getattr(err, "status_code", None)
    status = status if isinstance(status, int) else None
    body = getattr(err, "info", None)
    if isinstance(body, Mapping) and "error" in body:
        error = body["error"]
        error_type, reason = describe_engine_error(error)
        shard_error = _first_shard_failure(error)
        if shard_error is not None:
            # "all shards failed" says nothing; the shard's reason says what
            # was wrong with the request (e.g. the query string's parse error).
            error_type, reason = describe_engine_error(shard_error)
            reason = _first_lines(reason)
    else:
        error_type, reason = None, str(err)
        # Elasticsearch's transport errors keep the cause in .message and
        # print only "Connection error": say what actually failed.
        detail = getattr(err, "message", None)
        if isinstance(detail, str) and detail not in reason:
            reason = f"{reason}: {detail}"
    if settings is not None and (named := describe_failure(err, settings)) is not None:
        reason = named
    message = f"{action} on {engine} at {url} failed: {reason}"
    if status is None or status == 429 or status >= 500:
        return SearchUnavailable(message, status=status, error_type=error_type)
    return SearchRequestError(message, status=status, error_type=error_type, reason=reason)


def _first_shard_failure(error: object) -> Mapping[str, Any] | None:
    """The ``reason`` of a search's first failed shard, if the error carries one."""
    if not isinstance(error, Mapping):
        return None
    shards = error.get("failed_shards")
    if not shards or not isinstance(shards[0], Mapping):
        return None
    reason = shards[0].get("reason")
    return reason if isinstance(reason, Mapping) else None


def _first_lines(description: str) -> str:
    """``describe_engine_error``'s "A (caused by B) (caused by C)" with one line per part."""
    # Query parse errors append the parser's whole list of expected tokens,
    # one per line, to each cause: keep only the line that says what is wrong.
    parts = description.split(" (caused by ")
    kept = [parts[0].split("\n", 1)[0]]
    for part in parts[1:]:
        line = part.split("\n", 1)[0]
        kept.append(line if line.endswith(")") else f"{line})")
    return " (caused by ".join(kept)
