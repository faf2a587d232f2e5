"""Slugs: the URL-, topic- and index-safe names of groups and apps.

An app's slug names its Kafka topic and its indices, so it is unique
installation-wide and never changes; a clash gets a short random suffix.

    >>> slugify("Checkout API (EU) v2")
    'checkout-api-eu-v2'
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

__all__ = ["MAX_SLUG", "slugify", "unique_slug"]

MAX_SLUG = 63
_SUFFIX = 5  # "-" and four characters


def slugify(name: str) -> str:
    """Lowercase a-z, 0-9 and single dashes, at most 63 characters; never empty."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    # Room for a suffix is kept so that a clash never has to cut the name again.
    slug = slug[: MAX_SLUG - _SUFFIX].rstrip("-")
    return slug or "app"


async def unique_slug(session: AsyncSession, column: InstrumentedAttribute[str], name: str) -> str:
    """``slugify(name)``, with a short suffix if another row already has it."""
    base = slugify(name)
    candidate = base
    while await session.scalar(select(column).where(column == candidate)) is not None:
        candidate = f"{base}-{secrets.token_hex(2)}"
    return candidate
