"""RP-initiated logout: the URL that ends the provider's session too.

Logging out of the market alone would leave the provider's session open, and
the next "Sign in with ..." would pass straight through without a password.
"""

from __future__ import annotations

from urllib.parse import urlencode

from barito_market.accounts.oidc.provider import OidcProvider
from barito_market.accounts.oidc.refusals import ProviderUnavailable

__all__ = ["provider_logout_url"]


async def provider_logout_url(
    provider: OidcProvider, *, id_token: str, post_logout_redirect_uri: str
) -> str | None:
    """The provider's ``end_session_endpoint`` for this session; None if it offers none."""
    try:
        metadata = await provider.metadata()
    except ProviderUnavailable:
        return None
    if metadata.end_session_endpoint is None:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": provider.settings.client_id,
            "post_logout_redirect_uri": post_logout_redirect_uri,
        }
    )
    separator = "&" if "?" in metadata.end_session_endpoint else "?"
    return f"{metadata.end_session_endpoint}{separator}{query}"
