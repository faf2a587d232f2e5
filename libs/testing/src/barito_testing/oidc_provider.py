"""A real OpenID provider for tests: the local stack's Keycloak (``barito stack up --with oidc``).

The ``oidc_provider`` fixture starts it through the stack's own code (or
reuses the one running) and leaves it running, like the other engines. It
serves the realm ``barito`` with the confidential clients ``barito-market``
(PKCE S256, a ``groups`` claim of group names) and ``barito-other`` (a
second relying party, for wrong-audience tests)::

    settings = MarketSettings(oidc=OidcSettings(**oidc_provider.oidc_settings()))
    user = await oidc_provider.admin.create_user(groups=["payments-admins"])
    callback = await sign_in_at_provider(authorization_url, user.username, user.password)

:func:`sign_in_at_provider` is the browser: it fills Keycloak's real login
form and returns where Keycloak sends the browser back (the relying party's
callback with ``code`` and ``state``), without going there.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from barito_cli.stack.config import StackConfig, load_config
from barito_cli.stack.engines import engine_for
from barito_cli.stack.keycloak_realm import (
    ADMIN_USER,
    MARKET_CLIENT,
    OTHER_CLIENT,
    REALM,
    keycloak_realm,
)
from barito_cli.stack.manager import start_engines
from barito_testing.keycloak_admin import DirectoryUser, KeycloakAdmin, KeycloakError
from barito_testing.stack import REPO

__all__ = [
    "DirectoryUser",
    "KeycloakAdmin",
    "KeycloakError",
    "OidcProvider",
    "ProviderRefusedSignIn",
    "sign_in_at_market",
    "sign_in_at_provider",
    "start_oidc_provider",
]


class ProviderRefusedSignIn(KeycloakError):
    """Keycloak's login form answered with an error instead of sending the browser back."""


@dataclass(frozen=True)
class OidcProvider:
    issuer: str
    client_id: str
    client_secret: str
    other_client_id: str
    other_client_secret: str
    admin: KeycloakAdmin
    config: StackConfig = field(repr=False)

    def oidc_settings(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments of the market's ``OidcSettings`` for this provider."""
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "display_name": "Keycloak",
            **overrides,
        }


def start_oidc_provider(
    echo: Callable[[str], None] = lambda line: print(f"[stack] {line}"),
) -> OidcProvider:
    """The stack's Keycloak, started (and its realm imported) unless it runs already."""
    config = load_config(REPO)
    engine = engine_for("keycloak", config)
    start_engines([engine], echo=echo)
    realm = keycloak_realm(config)
    return OidcProvider(
        issuer=realm.issuer,
        client_id=MARKET_CLIENT,
        client_secret=realm.client_secret(MARKET_CLIENT),
        other_client_id=OTHER_CLIENT,
        other_client_secret=realm.client_secret(OTHER_CLIENT),
        admin=KeycloakAdmin(
            url=engine.url,
            realm=REALM,
            admin_username=ADMIN_USER,
            admin_password=realm.admin_password_file.read_text(),
            client_id=MARKET_CLIENT,
            client_secret=realm.client_secret(MARKET_CLIENT),
        ),
        config=config,
    )


class _LoginPage(HTMLParser):
    """The login form's action and the messages Keycloak shows (field errors, alerts)."""

    _MESSAGE_CLASSES = frozenset({"kc-feedback-text", "instruction"})
    # Elements without an end tag: they open nothing a message could be inside.
    _VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"})

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.messages: list[str] = []
        self._open_messages = 0
        self._open_elements: list[bool] = []  # whether each open element is a message

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and attributes.get("id") == "kc-form-login":
            self.action = attributes.get("action")
        if tag in self._VOID:
            return
        is_message = bool(self._MESSAGE_CLASSES & set((attributes.get("class") or "").split()))
        self._open_elements.append(is_message)
        if is_message:
            self._open_messages += 1
            self.messages.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open_elements and self._open_elements.pop():
            self._open_messages -= 1

    def handle_data(self, data: str) -> None:
        if self._open_messages and data.strip():
            self.messages[-1] = " ".join(f"{self.messages[-1]} {data.strip()}".split())

    @property
    def message(self) -> str:
        return "; ".join(m for m in self.messages if m) or "no message on the page"


class _LoopbackIsTrustworthy(DefaultCookiePolicy):
    # Keycloak marks its login cookies Secure even over http. Browsers send those
    # to http://127.0.0.1 and http://localhost (a "potentially trustworthy"
    # origin); Python's cookie jar would not, and Keycloak would lose the sign-in.
    def return_ok_secure(self, cookie: Any, request: Any) -> bool:
        host = urlsplit(request.get_full_url()).hostname
        return host in ("127.0.0.1", "localhost") or bool(super().return_ok_secure(cookie, request))


class _Browser:
    """An HTTP client with a browser's cookie jar. httpx copies a client's cookies into
    a jar of the default policy for each request, so the header is made here instead."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client
        self._jar = CookieJar(policy=_LoopbackIsTrustworthy())

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        outgoing = urllib.request.Request(url)
        self._jar.add_cookie_header(outgoing)
        cookie = outgoing.get_header("Cookie")
        headers = {"Cookie": cookie} if cookie else {}
        response = await self._client.request(method, url, headers=headers, **kwargs)
        httpx.Cookies(self._jar).extract_cookies(response)
        return response


def _read_page(response: httpx.Response) -> _LoginPage:
    page = _LoginPage()
    page.feed(response.text)
    page.close()
    return page


async def sign_in_at_provider(authorization_url: str, username: str, password: str) -> str:
    """Sign ``username`` in at Keycloak's login page (reached from ``authorization_url``,
    a relying party's redirect) and return the URL Keycloak sends the browser back to.

    Raises :class:`ProviderRefusedSignIn` with Keycloak's words when it refuses.
    """
    provider = urlsplit(authorization_url)
    async with httpx.AsyncClient(timeout=30) as client:
        browser = _Browser(client)
        response = await browser.request("GET", authorization_url)
        if response.is_redirect:
            # Straight back to the relying party: Keycloak refused the request itself.
            answer = parse_qs(urlsplit(response.headers["Location"]).query)
            said = ": ".join(answer.get("error", []) + answer.get("error_description", []))
            raise ProviderRefusedSignIn(
                f"Keycloak sent the browser back without a login page: {said or 'no error named'}"
            )
        if response.status_code != 200:
            raise ProviderRefusedSignIn(
                f"Keycloak did not show its login page ({response.status_code}): "
                f"{_read_page(response).message}"
            )
        page = _read_page(response)
        if page.action is None:
            raise ProviderRefusedSignIn(f"Keycloak showed no login form: {page.message}")
        response = await browser.request(
            "POST",
            urljoin(str(response.url), page.action),
            data={"username": username, "password": password, "credentialId": ""},
        )
        if response.status_code in (302, 303):
            location = urljoin(str(response.url), response.headers["Location"])
            if urlsplit(location).netloc != provider.netloc:
                return location
            # Still at Keycloak: it wants more than a password (a required action).
            response = await browser.request("GET", location)
        message = _read_page(response).message
        if "invalid username or password" in message.lower():
            raise ProviderRefusedSignIn(f"Keycloak refused the password of {username!r}: {message}")
        raise ProviderRefusedSignIn(f"Keycloak refused to sign {username!r} in: {message}")


async def sign_in_at_market(
    browser: httpx.AsyncClient, person: DirectoryUser, *, next_path: str | None = None
) -> httpx.Response:
    """The whole trip of ``person`` through a market: its login, Keycloak's form, then its
    callback, whose answer is returned; ``browser`` is a client of the market."""
    start = await browser.get(
        "/api/v1/auth/oidc/login", params={"next": next_path} if next_path else None
    )
    assert start.status_code == 302, start.text
    back = urlsplit(
        await sign_in_at_provider(start.headers["location"], person.username, person.password)
    )
    return await browser.get(f"{back.path}?{back.query}")
