"""The stack's Keycloak driven as a test needs it: its admin REST API and its token endpoint.

Every call opens its own HTTP client, so one ``KeycloakAdmin`` (session
scoped) serves tests running in different event loops. Users and groups made
here have random names and are never deleted: tests never collide, and a
realm of a few thousand test users is still small::

    user = await admin.create_user(groups=["payments-admins"])
    tokens = await admin.tokens_by_password(user.username, user.password)
    await admin.disable_user(user.id)
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["DirectoryUser", "KeycloakAdmin", "KeycloakError"]

_ROTATED = "rotated-"


class KeycloakError(RuntimeError):
    """Keycloak refused or failed a call; the message says which and why."""


@dataclass(frozen=True)
class DirectoryUser:
    id: str
    username: str
    email: str
    password: str


def _error(what: str, response: httpx.Response) -> KeycloakError:
    try:
        body = response.json()
    except ValueError:
        body = response.text[:300]
    if isinstance(body, dict):
        body = body.get("error_description") or body.get("errorMessage") or body.get("error")
    return KeycloakError(f"Keycloak refused to {what} ({response.status_code}): {body}")


class KeycloakAdmin:
    """One realm of one Keycloak, through the master realm's admin."""

    def __init__(
        self,
        *,
        url: str,
        realm: str,
        admin_username: str,
        admin_password: str,
        client_id: str,
        client_secret: str,
    ) -> None:
        self.url = url
        self.realm = realm
        self._admin = (admin_username, admin_password)
        self._client = (client_id, client_secret)
        self._token: tuple[str, float] | None = None

    @property
    def _realm_api(self) -> str:
        return f"{self.url}/admin/realms/{self.realm}"

    async def _admin_token(self, client: httpx.AsyncClient) -> str:
        # Master realm admin tokens live a minute: take a new one shortly before that.
        if self._token is not None and self._token[1] > time.monotonic():
            return self._token[0]
        username, password = self._admin
        response = await client.post(
            f"{self.url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": username,
                "password": password,
            },
        )
        if response.status_code != 200:
            raise _error("sign the stack's admin in to the master realm", response)
        body = response.json()
        self._token = (body["access_token"], time.monotonic() + body["expires_in"] - 15)
        return self._token[0]

    async def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        ok: tuple[int, ...] = (),
    ) -> httpx.Response:
        async with httpx.AsyncClient(timeout=30) as client:
            token = await self._admin_token(client)
            response = await client.request(
                method,
                f"{self._realm_api}{path}",
                json=json,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
        if response.status_code >= 300 and response.status_code not in ok:
            raise _error(what, response)
        return response

    async def _group_id(self, name: str) -> str:
        response = await self._call(
            "GET",
            "/groups",
            "list groups",
            params={"search": name, "exact": "true", "briefRepresentation": "true"},
        )
        for group in response.json():
            if group["name"] == name:
                return str(group["id"])
        raise KeycloakError(f"there is no group {name!r} in the realm {self.realm!r}")

    async def create_group(self, name: str) -> str:
        """Create the top-level group ``name`` (kept if it exists); its id."""
        response = await self._call(
            "POST", "/groups", f"create the group {name!r}", json={"name": name}, ok=(409,)
        )
        if response.status_code == 409:
            return await self._group_id(name)
        return response.headers["Location"].rsplit("/", 1)[1]

    async def create_user(
        self, *, groups: tuple[str, ...] | list[str] = (), email: str | None = None
    ) -> DirectoryUser:
        """A new enabled user with a random name and password, in ``groups`` (which must exist)."""
        username = f"user-{uuid.uuid4().hex[:10]}"
        email = email or f"{username}@example.test"
        password = secrets.token_urlsafe(12)
        response = await self._call(
            "POST",
            "/users",
            f"create the user {username!r}",
            json={
                "username": username,
                "email": email,
                # Keycloak asks a user without a first and last name to complete the
                # profile at sign-in, which a test's sign-in would stop at.
                "firstName": "Test",
                "lastName": username,
                "enabled": True,
                "emailVerified": True,
                "credentials": [{"type": "password", "value": password, "temporary": False}],
            },
        )
        user = DirectoryUser(
            id=response.headers["Location"].rsplit("/", 1)[1],
            username=username,
            email=email,
            password=password,
        )
        for group in groups:
            await self.add_to_group(user.id, group)
        return user

    async def add_to_group(self, user_id: str, group: str) -> None:
        group_id = await self._group_id(group)
        await self._call("PUT", f"/users/{user_id}/groups/{group_id}", f"add a user to {group!r}")

    async def remove_from_group(self, user_id: str, group: str) -> None:
        group_id = await self._group_id(group)
        await self._call(
            "DELETE", f"/users/{user_id}/groups/{group_id}", f"remove a user from {group!r}"
        )

    async def disable_user(self, user_id: str) -> None:
        await self._call("PUT", f"/users/{user_id}", "disable a user", json={"enabled": False})

    async def tokens_by_password(
        self,
        username: str,
        password: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> dict[str, Any]:
        """The user's tokens (id_token, access_token, refresh_token) by the direct grant,
        for the market's client unless another is named."""
        default_id, default_secret = self._client
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                f"{self.url}/realms/{self.realm}/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "scope": "openid email profile",
                    "client_id": client_id or default_id,
                    "client_secret": client_secret or default_secret,
                    "username": username,
                    "password": password,
                },
            )
        if response.status_code != 200:
            raise _error(f"give {username!r} tokens", response)
        tokens: dict[str, Any] = response.json()
        return tokens

    async def _signing_keys(self) -> list[dict[str, Any]]:
        response = await self._call("GET", "/keys", "list the realm's keys")
        return [
            key
            for key in response.json()["keys"]
            if key.get("algorithm") == "RS256" and key.get("status") == "ACTIVE"
        ]

    async def rotate_signing_key(self) -> str:
        """Add an RS256 key above every other, so new tokens are signed (and named) by it;
        the older keys stay published for tokens already out. Its key id."""
        keys = await self._signing_keys()
        priority = max((int(key.get("providerPriority", 0)) for key in keys), default=0) + 1
        realm = await self._call("GET", "", "read the realm")
        await self._call(
            "POST",
            "/components",
            "add a signing key",
            json={
                "name": f"{_ROTATED}{uuid.uuid4().hex[:8]}",
                "providerId": "rsa-generated",
                "providerType": "org.keycloak.keys.KeyProvider",
                "parentId": realm.json()["id"],
                "config": {
                    "priority": [str(priority)],
                    "algorithm": ["RS256"],
                    "keySize": ["2048"],
                    "active": ["true"],
                    "enabled": ["true"],
                },
            },
        )
        await self._forget_old_rotations(realm.json()["id"])
        newest = max(await self._signing_keys(), key=lambda key: int(key["providerPriority"]))
        return str(newest["kid"])

    async def _forget_old_rotations(self, realm_id: str) -> None:
        # The stack's Keycloak outlives test runs: keep the new key and the one it
        # replaced (tokens signed just before must still verify), drop older ones.
        response = await self._call(
            "GET",
            "/components",
            "list the key providers",
            params={"parent": realm_id, "type": "org.keycloak.keys.KeyProvider"},
        )
        rotated = sorted(
            (c for c in response.json() if c["name"].startswith(_ROTATED)),
            key=lambda component: int(component["config"]["priority"][0]),
        )
        for component in rotated[:-2]:
            await self._call(
                "DELETE", f"/components/{component['id']}", "delete an old signing key"
            )
