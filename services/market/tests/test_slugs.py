"""Slugs name topics and indices: always valid, never empty, room for a suffix."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from barito_common.schemas import Slug
from barito_market.apps.slugs import MAX_SLUG, slugify


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Checkout API (EU) v2", "checkout-api-eu-v2"),
        ("  Zahlungsverkehr  Über alles ", "zahlungsverkehr-uber-alles"),
        ("---", "app"),
        ("日本語", "app"),
        ("a" * 100, "a" * (MAX_SLUG - 5)),
    ],
)
def test_names_become_readable_slugs(name: str, slug: str) -> None:
    assert slugify(name) == slug


@given(st.text())
def test_every_name_gives_a_slug_valid_for_topics_with_room_for_a_suffix(name: str) -> None:
    slug = slugify(name)
    TypeAdapter(Slug).validate_python(f"{slug}-ab12")
    assert not slug.startswith("-") and not slug.endswith("-")
