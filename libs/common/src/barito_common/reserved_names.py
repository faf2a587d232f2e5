"""App slugs the installation keeps for its own topics and pages, each with its reason.

An app's slug names its log topic ``<prefix>logs.<slug>``, its daily indices
``<index_prefix><slug>-YYYY.MM.DD`` and its pages ``/apps/<slug>`` in the web
UI. A slug that already names one of the installation's own things breaks
the app: ``dlq`` would write its logs into the dead-letter topic, which the
flow never indexes; ``new`` would be a page the registration form hides.

The market refuses to register such a name (422). A registry written before
this list may still hold one: the app registry logs an error for it, and the
receiver refuses its ingest where its logs would be lost (``loses_logs``),
instead of acknowledging logs that nobody will ever see.

Example::

    reserved = reserved_app_slug("dlq")
    if reserved is not None:
        print(reserved.explanation)  # what it collides with, and what that breaks
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from barito_common.kafka import Topics

__all__ = ["RESERVED_APP_SLUGS", "ReservedName", "reserved_app_slug"]


@dataclass(frozen=True, slots=True)
class ReservedName:
    name: str
    collides_with: str
    """What of the installation already has this name, as a user can look it up."""
    breaks: str
    """What would go wrong for an app of this slug."""
    loses_logs: bool
    """Whether logs written for such an app are never indexed (the receiver refuses them)."""

    @property
    def explanation(self) -> str:
        return f"'{self.name}' is {self.collides_with}; {self.breaks}"


def _last_segment(topic: str) -> str:
    return topic.rsplit(".", 1)[-1]


# Names are derived from Topics, where the topics are named, so the two never drift.
_TOPICS = Topics(prefix="")

_RESERVED = (
    ReservedName(
        _last_segment(_TOPICS.dead_letters),
        f"the dead-letter topic's name ({_TOPICS.dead_letters} after the topic prefix)",
        "the flow never indexes that topic, so every log sent to the app would be lost",
        loses_logs=True,
    ),
    # The web UI's routes (services/market/web/src/main.tsx) beside /apps/:slug;
    # the market's test of this list fails when a new one is added there.
    ReservedName(
        "new",
        "the web UI's registration page (/apps/new)",
        "the app's own page at /apps/<slug> could never be opened",
        loses_logs=False,
    ),
    # Not a collision today (app topics live under "logs."), kept free so that
    # no app is ever mistaken for one of the installation's own topics.
    *(
        ReservedName(
            _last_segment(topic),
            f"the last part of the installation's own topic {topic}",
            "an app of that name could be mistaken for it",
            loses_logs=False,
        )
        for topic in (
            _TOPICS.apps,
            _TOPICS.usage,
            _TOPICS.provisioning_commands,
            _TOPICS.provisioning_events,
        )
    ),
)

RESERVED_APP_SLUGS: Mapping[str, ReservedName] = {name.name: name for name in _RESERVED}
"""Every reserved app slug, with what it collides with."""


def reserved_app_slug(slug: str) -> ReservedName | None:
    """Why ``slug`` cannot name an app, or None when it may.

    >>> reserved_app_slug("dlq").loses_logs
    True
    >>> reserved_app_slug("checkout") is None
    True
    """
    return RESERVED_APP_SLUGS.get(slug)
