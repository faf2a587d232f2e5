"""The stack's realm as its clients see it: the issuer, the secrets made for it, its demo users.

The realm template ``deploy/local/keycloak/barito-realm.json`` holds no secret:
the client secrets, the demo users' passwords and the bootstrap admin's are
made (random) on Keycloak's first start, kept as 0600 files under
``<state>/keycloak/secrets`` and written into the copy Keycloak imports
(:mod:`barito_cli.stack.keycloak`). ``--fresh`` forgets them with the
database, so the realm is imported anew with new ones::

    realm = keycloak_realm(config)
    realm.issuer, realm.client_secret_file("barito-market"), realm.user_password("ann")

This module does not import the engine, so that ``barito_cli.stack.engines``
stays the one importer of :mod:`barito_cli.stack.keycloak`.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from barito_cli.stack.config import StackConfig
from barito_cli.stack.processes import running_pid

__all__ = [
    "ADMIN_USER",
    "MARKET_CLIENT",
    "OTHER_CLIENT",
    "REALM",
    "KeycloakRealm",
    "demo_users_notice",
    "keycloak_realm",
    "oidc_market_environment",
    "realm_template",
]

REALM = "barito"
MARKET_CLIENT = "barito-market"
OTHER_CLIENT = "barito-other"
ADMIN_USER = "barito-admin"
ENGINE = "keycloak"


@dataclass(frozen=True)
class KeycloakRealm:
    """The stack's realm as its clients see it: where it is and the secrets made for it."""

    issuer: str
    secrets_dir: Path

    def _secret_file(self, kind: str, name: str) -> Path:
        path = self.secrets_dir / kind / name
        if not path.exists():
            self.secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.parent.mkdir(mode=0o700, exist_ok=True)
            path.write_text(secrets.token_urlsafe(18))
            path.chmod(0o600)
        return path

    def client_secret_file(self, client_id: str) -> Path:
        return self._secret_file("clients", client_id)

    def client_secret(self, client_id: str) -> str:
        return self.client_secret_file(client_id).read_text()

    def user_password_file(self, username: str) -> Path:
        return self._secret_file("users", username)

    def user_password(self, username: str) -> str:
        return self.user_password_file(username).read_text()

    @property
    def admin_password_file(self) -> Path:
        """The master realm's bootstrap admin (``barito-admin``), for the admin REST API."""
        return self._secret_file("admin", ADMIN_USER)


def realm_template(config: StackConfig) -> dict[str, Any]:
    path = config.definition_dir / "keycloak" / f"{REALM}-realm.json"
    template: dict[str, Any] = json.loads(path.read_text())
    return template


def demo_users_notice(config: StackConfig) -> str:
    """Who can sign in at the stack's realm, with which password, and where those are kept."""
    realm = keycloak_realm(config)
    lines = [f"keycloak: the realm {realm.issuer} has the demo users (name, password, groups):"]
    for user in realm_template(config)["users"]:
        name = user["username"]
        groups = ", ".join(group.lstrip("/") for group in user.get("groups", ()))
        lines.append(f"  {name:<6} {realm.user_password(name)}  {groups}")
    lines.append(f"keycloak: passwords and client secrets are kept in {realm.secrets_dir}")
    return "\n".join(lines)


def keycloak_realm(config: StackConfig) -> KeycloakRealm:
    """The stack's realm (made on the first ``barito stack up --with oidc``)."""
    return KeycloakRealm(
        issuer=f"http://127.0.0.1:{config.engines[ENGINE]['port']}/realms/{REALM}",
        secrets_dir=config.engine_dir(ENGINE) / "secrets",
    )


def oidc_market_environment(config: StackConfig) -> dict[str, str]:
    """The market's single sign-on settings while the stack's Keycloak runs; else none."""
    if config.is_secure or running_pid(config.pid_file(ENGINE)) is None:
        return {}
    realm = keycloak_realm(config)
    return {
        "BARITO_OIDC__ISSUER": realm.issuer,
        "BARITO_OIDC__CLIENT_ID": MARKET_CLIENT,
        "BARITO_OIDC__CLIENT_SECRET_FILE": str(realm.client_secret_file(MARKET_CLIENT)),
        "BARITO_OIDC__DISPLAY_NAME": "Keycloak",
    }
