"""What each kind of channel takes: its (non-secret) config and its secret, checked.

=========  ============================================  ==========================
kind       config                                        secret
=========  ============================================  ==========================
webhook    ``url``: http(s) URL                          made by the market
slack      none                                          the incoming webhook URL
email      ``to``: 1 to 20 addresses                     none
pagerduty  ``events_url`` (optional): https URL          the routing key
=========  ============================================  ==========================
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from barito_common.alerts import AlertChannelKind
from barito_market.alerts.refusals import invalid

__all__ = ["MAX_EMAIL_RECIPIENTS", "check_config", "check_secret"]

MAX_EMAIL_RECIPIENTS = 20
_MAX_URL = 2000
# Deliberately loose: the mail server is the judge; this catches typos such
# as a missing @ or a stray space, which would otherwise fail only at delivery.
_ADDRESS = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")

_KEYS: dict[AlertChannelKind, frozenset[str]] = {
    AlertChannelKind.WEBHOOK: frozenset({"url"}),
    AlertChannelKind.SLACK: frozenset(),
    AlertChannelKind.EMAIL: frozenset({"to"}),
    AlertChannelKind.PAGERDUTY: frozenset({"events_url"}),
}


def _url(field: str, value: Any, *, schemes: tuple[str, ...]) -> str:
    wanted = " or ".join(f"{scheme}://" for scheme in schemes)
    if not isinstance(value, str) or len(value) > _MAX_URL:
        raise invalid(field, f"must be a URL starting with {wanted}")
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise invalid(field, f"must be a URL starting with {wanted} and naming a host")
    return value


def _recipients(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_EMAIL_RECIPIENTS:
        raise invalid("config.to", f"give a list of 1 to {MAX_EMAIL_RECIPIENTS} email addresses")
    for address in value:
        if not isinstance(address, str) or not _ADDRESS.match(address):
            raise invalid("config.to", f"{address!r} is not an email address")
    return list(dict.fromkeys(value))


def check_config(kind: AlertChannelKind, config: dict[str, Any]) -> dict[str, Any]:
    """The config as stored, or 422 naming the field that is missing, unknown or wrong."""
    unknown = sorted(set(config) - _KEYS[kind])
    if unknown:
        allowed = ", ".join(sorted(_KEYS[kind])) or "nothing"
        raise invalid(f"config.{unknown[0]}", f"a {kind.value} channel's config takes {allowed}")
    if kind is AlertChannelKind.WEBHOOK:
        if "url" not in config:
            raise invalid("config.url", "a webhook channel needs the URL to post to")
        return {"url": _url("config.url", config["url"], schemes=("http", "https"))}
    if kind is AlertChannelKind.EMAIL:
        return {"to": _recipients(config.get("to"))}
    if kind is AlertChannelKind.PAGERDUTY and config.get("events_url") is not None:
        return {"events_url": _url("config.events_url", config["events_url"], schemes=("https",))}
    return {}


def check_secret(kind: AlertChannelKind, secret: str | None) -> str | None:
    """The secret given by the caller, as it will be sealed; 422 when the kind wants otherwise.

    None for a webhook (the market makes its signing secret) and for email.
    """
    if kind is AlertChannelKind.WEBHOOK and secret is not None:
        raise invalid(
            "secret",
            "a webhook's signing secret is made by the market and shown once; leave it out",
        )
    if kind is AlertChannelKind.EMAIL and secret is not None:
        raise invalid("secret", "an email channel has no secret; leave it out")
    if kind is AlertChannelKind.SLACK:
        if secret is None:
            raise invalid("secret", "a Slack channel needs its incoming webhook URL as secret")
        return _url("secret", secret, schemes=("https",))
    if kind is AlertChannelKind.PAGERDUTY:
        if secret is None or not secret.strip():
            raise invalid("secret", "a PagerDuty channel needs its routing key as secret")
        return secret.strip()
    return None
