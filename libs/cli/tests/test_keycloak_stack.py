"""`barito stack up --with oidc`: the stack's Keycloak, its realm, and the test library on it.

Keycloak is the run's (fixture ``oidc_provider``), started once and left
running; the commands find it running, as a developer's second ``up`` does.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import secrets
import shlex
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from click.testing import CliRunner, Result

from barito_cli.main import cli
from barito_cli.stack.config import StackConfig, load_config
from barito_cli.stack.keycloak_realm import keycloak_realm
from barito_cli.stack.manager import stack_down, stack_up
from barito_market.settings import MarketSettings
from barito_testing.keycloak_admin import KeycloakError
from barito_testing.oidc_provider import OidcProvider, ProviderRefusedSignIn, sign_in_at_provider
from barito_testing.ports import free_port
from barito_testing.stack import REPO, Stack

CALLBACK = "http://127.0.0.1:18080/api/v1/auth/oidc/callback"


def _barito(*arguments: str) -> Result:
    result = CliRunner().invoke(cli, list(arguments))
    assert result.exit_code == 0, result.output
    return result


def _exports(output: str) -> dict[str, str]:
    exports = {}
    for line in output.splitlines():
        keyword, assignment = shlex.split(line)
        assert keyword == "export", line
        name, _, value = assignment.partition("=")
        exports[name] = value
    return exports


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def _kid(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def _authorization_url(
    provider: OidcProvider, *, state: str, verifier: str | None, redirect_uri: str = CALLBACK
) -> str:
    query = {
        "client_id": provider.client_id,
        "response_type": "code",
        "scope": "openid email profile",
        "redirect_uri": redirect_uri,
        "state": state,
        "nonce": secrets.token_urlsafe(12),
    }
    if verifier is not None:
        digest = hashlib.sha256(verifier.encode()).digest()
        query["code_challenge"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        query["code_challenge_method"] = "S256"
    return f"{provider.issuer}/protocol/openid-connect/auth?{urlencode(query)}"


def test_stack_up_with_oidc_serves_the_barito_realm_and_names_the_demo_users(
    stack: Stack, oidc_provider: OidcProvider
) -> None:
    output = _barito("stack", "up", "--with", "oidc").output

    realm = keycloak_realm(oidc_provider.config)
    assert "keycloak: already running" in output
    for user in ("ann", "bob", "root"):
        assert realm.user_password(user) in output
    assert str(realm.secrets_dir) in output
    discovery = httpx.get(f"{realm.issuer}/.well-known/openid-configuration", timeout=10)
    assert discovery.json()["issuer"] == "http://127.0.0.1:18190/realms/barito"
    status = _barito("stack", "status").output.splitlines()
    assert any(line.startswith("keycloak") and line.endswith("ready") for line in status)


async def test_a_demo_user_signs_in_and_is_sent_back_with_a_code_and_the_state(
    oidc_provider: OidcProvider,
) -> None:
    state, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    password = keycloak_realm(oidc_provider.config).user_password("ann")

    callback = await sign_in_at_provider(
        _authorization_url(oidc_provider, state=state, verifier=verifier), "ann", password
    )

    assert callback.startswith(f"{CALLBACK}?")
    query = parse_qs(urlsplit(callback).query)
    assert query["state"] == [state]
    # The code is good for the market's client with the PKCE verifier, and the
    # ID token names ann's groups by name.
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{oidc_provider.issuer}/protocol/openid-connect/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": CALLBACK,
                "code_verifier": verifier,
                "client_id": oidc_provider.client_id,
                "client_secret": oidc_provider.client_secret,
            },
        )
    assert response.status_code == 200, response.text
    claims = _claims(response.json()["id_token"])
    assert claims["preferred_username"] == "ann"
    assert claims["groups"] == ["payments-admins"]


async def test_a_wrong_password_is_refused_in_keycloaks_words(
    oidc_provider: OidcProvider,
) -> None:
    url = _authorization_url(oidc_provider, state="s", verifier=secrets.token_urlsafe(48))

    with pytest.raises(ProviderRefusedSignIn) as refused:
        await sign_in_at_provider(url, "ann", "not-anns-password")

    assert (
        str(refused.value)
        == "Keycloak refused the password of 'ann': Invalid username or password."
    )


async def test_the_realm_sends_back_only_to_loopback_and_only_with_pkce(
    oidc_provider: OidcProvider,
) -> None:
    password = keycloak_realm(oidc_provider.config).user_password("bob")
    localhost = "http://localhost:18080/api/v1/auth/oidc/callback"
    url = _authorization_url(oidc_provider, state="s", verifier="v" * 43, redirect_uri=localhost)
    assert (await sign_in_at_provider(url, "bob", password)).startswith(f"{localhost}?")

    foreign = _authorization_url(
        oidc_provider, state="s", verifier="v" * 43, redirect_uri="https://evil.example/callback"
    )
    with pytest.raises(ProviderRefusedSignIn, match="Invalid parameter: redirect_uri"):
        await sign_in_at_provider(foreign, "bob", password)

    without_pkce = _authorization_url(oidc_provider, state="s", verifier=None)
    with pytest.raises(
        ProviderRefusedSignIn, match="invalid_request: Missing parameter: code_challenge_method"
    ):
        await sign_in_at_provider(without_pkce, "bob", password)


def test_the_secrets_kept_in_the_state_folder_are_not_in_the_realm_template(
    oidc_provider: OidcProvider,
) -> None:
    template = (REPO / "deploy/local/keycloak/barito-realm.json").read_text()
    realm = keycloak_realm(oidc_provider.config)
    kept = [path for path in realm.secrets_dir.rglob("*") if path.is_file()]

    assert {path.name for path in kept} >= {"barito-market", "barito-other", "ann", "barito-admin"}
    for path in kept:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert path.read_text() not in template, path
    assert oidc_provider.client_secret == realm.client_secret("barito-market")


def test_env_market_is_single_sign_on_with_keycloak_that_the_market_accepts(
    oidc_provider: OidcProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = _barito("stack", "env", "market").output
    exports = _exports(output)
    assert oidc_provider.client_secret not in output

    # The market's settings from exactly that environment, nothing inherited.
    for name in [n for n in os.environ if n.startswith("BARITO_")]:
        monkeypatch.delenv(name)
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    settings = MarketSettings()

    assert settings.oidc.enabled
    assert settings.oidc.issuer == "http://127.0.0.1:18190/realms/barito"
    assert settings.oidc.client_id == "barito-market"
    assert settings.oidc.client_secret is not None
    assert settings.oidc.client_secret.get_secret_value() == oidc_provider.client_secret
    assert settings.oidc.display_name == "Keycloak"


async def test_users_made_by_the_admin_carry_their_groups_until_removed_or_disabled(
    oidc_provider: OidcProvider,
) -> None:
    admin = oidc_provider.admin
    group = f"team-{secrets.token_hex(4)}"
    await admin.create_group(group)
    user = await admin.create_user(groups=[group, "payments-members"])

    tokens = await admin.tokens_by_password(user.username, user.password)
    assert sorted(_claims(tokens["id_token"])["groups"]) == sorted([group, "payments-members"])
    assert _claims(tokens["id_token"])["email"] == user.email

    await admin.remove_from_group(user.id, group)
    tokens = await admin.tokens_by_password(user.username, user.password)
    assert _claims(tokens["id_token"])["groups"] == ["payments-members"]

    other = await admin.tokens_by_password(
        user.username,
        user.password,
        client_id=oidc_provider.other_client_id,
        client_secret=oidc_provider.other_client_secret,
    )
    assert _claims(other["id_token"])["aud"] == "barito-other"

    await admin.disable_user(user.id)
    with pytest.raises(KeycloakError, match="Account disabled"):
        await admin.tokens_by_password(user.username, user.password)


async def test_a_user_in_a_group_that_does_not_exist_is_refused_with_its_name(
    oidc_provider: OidcProvider,
) -> None:
    with pytest.raises(KeycloakError, match="there is no group 'no-such-team' in the realm"):
        await oidc_provider.admin.create_user(groups=["no-such-team"])


async def test_a_rotated_signing_key_names_new_id_tokens_and_the_old_key_stays_published(
    oidc_provider: OidcProvider,
) -> None:
    admin = oidc_provider.admin
    user = await admin.create_user()
    before = _kid((await admin.tokens_by_password(user.username, user.password))["id_token"])

    rotated = await admin.rotate_signing_key()

    after = _kid((await admin.tokens_by_password(user.username, user.password))["id_token"])
    assert after == rotated != before
    async with httpx.AsyncClient() as client:
        jwks = (await client.get(f"{oidc_provider.issuer}/protocol/openid-connect/certs")).json()
    assert {before, after} <= {key["kid"] for key in jwks["keys"]}


@pytest.fixture
def private_keycloak(oidc_provider: OidcProvider) -> Iterator[StackConfig]:
    """A second Keycloak from the run's build (hence ``oidc_provider`` first), on ports and
    a state folder of its own, so the run's Keycloak is not touched."""
    shared = load_config(REPO)
    # Under /var/tmp/barito, not pytest's tmp_path: Keycloak runs as nobody when
    # root starts it, and nobody cannot enter root's private temp folders.
    state = Path(tempfile.mkdtemp(prefix="keycloak-test-", dir=shared.state_dir.parent))
    state.chmod(0o755)
    keycloak = {**shared.engines["keycloak"], "port": free_port(), "management_port": free_port()}
    config = dataclasses.replace(
        shared, state_dir=state, engines={**shared.engines, "keycloak": keycloak}
    )
    try:
        yield config
    finally:
        stack_down(config, ["keycloak"], echo=print)
        shutil.rmtree(state, ignore_errors=True)


def _password_grant(config: StackConfig, username: str, password: str) -> httpx.Response:
    realm = keycloak_realm(config)
    return httpx.post(
        f"{realm.issuer}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "scope": "openid",
            "client_id": "barito-market",
            "client_secret": realm.client_secret("barito-market"),
            "username": username,
            "password": password,
        },
        timeout=30,
    )


def test_a_fresh_start_imports_the_realm_again_with_new_secrets(
    private_keycloak: StackConfig,
) -> None:
    realm = keycloak_realm(private_keycloak)
    stack_up(private_keycloak, ["keycloak"], echo=print)
    first = realm.user_password("ann")
    assert _password_grant(private_keycloak, "ann", first).status_code == 200
    stack_down(private_keycloak, ["keycloak"], echo=print)

    stack_up(private_keycloak, ["keycloak"], echo=print, fresh=True)

    second = realm.user_password("ann")
    assert second != first
    assert _password_grant(private_keycloak, "ann", second).status_code == 200
    refused = _password_grant(private_keycloak, "ann", first)
    assert refused.json()["error_description"] == "Invalid user credentials"
