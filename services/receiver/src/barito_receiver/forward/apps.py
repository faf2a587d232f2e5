"""Which app a forward connection writes to: always decided by a secret, never by a name.

Two ways, for two kinds of client:

* The app secret as the tag's first label (``<secret>.<rest>``), for loggers
  that cannot handshake (fluent-logger-python, fluent-logger-golang). Each
  request is looked up on its own, exactly as ``X-App-Secret`` is
  (:func:`barito_receiver.auth.authenticate`, the same 401/403 refusals), and
  the events keep ``<rest>`` as their tag: the secret is never stored.
* The shared-key handshake (``handshake``), for fluentd's and Fluent Bit's
  ``<security>``: the PING's username is the app's slug, and only a client
  holding that app's forward key can compute its digests.

    >>> split_tag("s3cr3t.web.access")
    ('s3cr3t', 'web.access')
    >>> split_tag("s3cr3t")
    ('s3cr3t', '')
"""

from __future__ import annotations

from starlette.datastructures import Headers

from barito_common.app_registry import AppRegistry
from barito_common.errors import ApiError
from barito_common.reserved_names import reserved_app_slug
from barito_common.schemas import AppProfile, AppStatus
from barito_receiver.auth import authenticate

__all__ = ["app_by_tag", "refusal_of", "split_tag"]


def split_tag(tag: str) -> tuple[str, str]:
    """The tag's first label (the secret) and the rest."""
    secret, _, rest = tag.partition(".")
    return secret, rest


def app_by_tag(registry: AppRegistry, tag: str, *, retry_after_s: int) -> tuple[AppProfile, str]:
    """The app whose secret is the tag's first label, and the tag without it.

    Raises ``ApiError`` as the HTTP endpoint would for that secret.
    """
    secret, rest = split_tag(tag)
    if not secret:
        raise ApiError(
            401, "The tag's first label must be the app secret: <app secret>.<your tag>."
        )
    # The same checks as X-App-Secret on HTTP, by construction: the secret is
    # handed over as that header.
    headers = Headers(headers={"x-app-secret": secret})
    return authenticate(registry, headers, retry_after_s=retry_after_s), rest


def refusal_of(profile: AppProfile) -> str | None:
    """Why ``profile`` may not ingest (as :func:`authenticate` refuses it), or None."""
    if profile.status is not AppStatus.ACTIVE:
        return f"app '{profile.slug}' is {profile.status.value}; it cannot ingest"
    reserved = reserved_app_slug(profile.slug)
    if reserved is not None and reserved.loses_logs:
        return f"app '{profile.slug}' cannot ingest: its slug is reserved"
    return None
