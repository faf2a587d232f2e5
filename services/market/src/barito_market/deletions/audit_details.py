"""What the audit log says about a deletion's query: that there was one, never its text.

The usual deletion by query is "delete the events that leaked this key",
whose query is the key itself; written into the audit log, which outlives the
deletion by its retention, it would copy the secret there. So an entry keeps
whether a query was given, its length and the first 12 hex digits of its
SHA-256, enough to tell the request and the finish of one job apart from
another's, or to check an entry against a query one already knows.

    >>> query_details('message:"password=hunter2"')
    {'query_given': True, 'query_length': 26, 'query_sha256': '2dc810744790'}
    >>> query_details(None)
    {'query_given': False}

A failed job's error is the engine's reason, which may quote the query back
(a parser's "Failed to parse query [...]"); the audit entry gets it with the
query cut out:

    >>> without_query("Failed to parse query [level:(x]", "level:(x")
    'Failed to parse query [<the query>]'
"""

from __future__ import annotations

import hashlib
from typing import Any

__all__ = ["query_details", "without_query"]

_DIGITS = 12


def query_details(query: str | None) -> dict[str, Any]:
    """The audit details standing for ``query`` (as the job keeps it: stripped, or None)."""
    if query is None:
        return {"query_given": False}
    digest = hashlib.sha256(query.encode()).hexdigest()[:_DIGITS]
    return {"query_given": True, "query_length": len(query), "query_sha256": digest}


def without_query(text: str | None, query: str | None) -> str | None:
    """``text`` with every copy of ``query`` replaced by ``<the query>``."""
    if text is None or not query:
        return text
    return text.replace(query, "<the query>")
