"""Single sign-on through the installation's OpenID Connect provider.

* :mod:`.provider` — the provider's discovery document and signing keys, fetched
  when first needed and cached;
* :mod:`.id_tokens` — checking an ID token: signature, issuer, audience, times, nonce;
* :mod:`.login_flow` — the authorization code flow with PKCE, start and finish;
* :mod:`.identities` — the market user a provider's ``sub`` stands for;
* :mod:`.roles_from_claims` — memberships and superadmin from the groups claim;
* :mod:`.reserved_groups` — the group slugs that mapping names: a superadmin's to create;
* :mod:`.logout` — the provider's logout URL for a single-sign-on session.

Exceptions::

    SignInRefused            the sign-in stops; its message is shown on the login page
    └── ProviderUnavailable  the provider did not answer (or answered nonsense)
"""

from barito_market.accounts.oidc.refusals import ProviderUnavailable, SignInRefused

__all__ = ["ProviderUnavailable", "SignInRefused"]
