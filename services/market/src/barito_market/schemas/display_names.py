"""The one rule for names people give things: groups, apps, tokens, alert rules and channels."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

__all__ = ["DisplayName"]


def _printable(name: str) -> str:
    # Postgres cannot store a NUL at all, and other control characters only
    # garble the pages and notifications that show the name.
    if any(ord(character) < 32 or ord(character) == 127 for character in name):
        raise ValueError("must not contain control characters")
    return name


DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_printable),
]
