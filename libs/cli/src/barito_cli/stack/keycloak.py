"""The optional OpenID provider of the local stack: Keycloak, the market's single sign-on.

``barito stack up --with oidc`` fetches Keycloak's server distribution from
Maven Central once, builds it once (``kc.sh build``: the ~18 s augmentation is
cached in the unpacked distribution, so every start is ``start --optimized``)
and runs it as ``nobody`` on loopback over plain HTTP, importing the realm
(:mod:`barito_cli.stack.keycloak_realm`, secrets filled in) on its first start.

Imported by ``barito_cli.stack.engines`` only; everyone else reaches the
engine through ``engine_for("keycloak", config)`` and the realm through
:func:`barito_cli.stack.keycloak_realm.keycloak_realm`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx

from barito_cli.stack.config import StackError
from barito_cli.stack.downloads import fetch_zip_distribution
from barito_cli.stack.engines import Engine, Launch
from barito_cli.stack.keycloak_realm import (
    ADMIN_USER,
    REALM,
    KeycloakRealm,
    keycloak_realm,
    realm_template,
)
from barito_cli.stack.processes import chown_to_unprivileged, drop_privileges_prefix

__all__ = ["KEYCLOAK_ENGINES", "KeycloakEngine"]

# Build-time options: baked into the augmented server, which `start --optimized`
# refuses to run with different ones. Runtime options (ports, hostname) are not here.
_BUILD_OPTIONS = ("--db=dev-file", "--health-enabled=true", "--http-relative-path=/")
_HOME_LINKS = ("bin", "lib", "conf", "providers", "themes")


class KeycloakEngine(Engine):
    name = "keycloak"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def realm(self) -> KeycloakRealm:
        return keycloak_realm(self.config)

    def _built_distribution(self, java_home: Path) -> Path:
        dist = fetch_zip_distribution(
            self.settings["artifact"],
            self.config.cache_dir / f"keycloak-{self.settings['version']}",
        )
        # The build is redone when its options or the JDK change: the augmented
        # server is generated code, made for the JVM that built it.
        marker = dist / ".barito-build"
        wanted = " ".join([*_BUILD_OPTIONS, f"java_home={java_home}"])
        if marker.exists() and marker.read_text() == wanted:
            return dist
        print("keycloak: building the server once (kc.sh build, about half a minute)")
        result = subprocess.run(
            [str(dist / "bin" / "kc.sh"), "build", *_BUILD_OPTIONS],
            capture_output=True, text=True, check=False,
            env={**os.environ, "JAVA_HOME": str(java_home)},
        )  # fmt: skip
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
            raise StackError(f"keycloak: kc.sh build failed:\n{tail}")
        marker.write_text(wanted)
        return dist

    def _java_home(self) -> Path:
        java_home = self.config.java_home(self.name)
        if java_home != Path(self.settings["java_home"]):
            # Keycloak 26.7 still runs on Debian's Java 17 (checked); say which one it got.
            print(f"keycloak: {self.settings['java_home']} is missing, running on {java_home}")
        return java_home

    def _realm_import(self, target: Path) -> None:
        """The realm template with this stack's secrets, for Keycloak's first start."""
        realm = self.realm
        definition = realm_template(self.config)
        for client in definition["clients"]:
            client["secret"] = realm.client_secret(client["clientId"])
        for user in definition["users"]:
            password = realm.user_password(user["username"])
            user["credentials"] = [{"type": "password", "value": password, "temporary": False}]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch(mode=0o600)
        target.write_text(json.dumps(definition, indent=2))

    def prepare(self) -> Launch:
        java_home = self._java_home()
        dist = self._built_distribution(java_home)
        # Keycloak keeps its database and reads its imports under its home folder,
        # which it takes from kc.home.dir: a home per stack, its code linked from the cache.
        home = self.home / "server"
        home.mkdir(parents=True, exist_ok=True)
        for name in _HOME_LINKS:
            link = home / name
            if not link.is_symlink():
                link.symlink_to(dist / name)
        self._realm_import(home / "data" / "import" / f"{REALM}-realm.json")
        chown_to_unprivileged(home)
        heap = self.settings["heap"]
        return Launch(
            argv=[
                *drop_privileges_prefix(), str(dist / "bin" / "kc.sh"),
                f"-Dkc.home.dir={home}",
                "start", "--optimized", "--import-realm",
                "--http-enabled=true", "--http-host=127.0.0.1", f"--http-port={self.port}",
                f"--http-management-port={self.settings['management_port']}",
                f"--hostname={self.url}",
            ],
            env={
                "JAVA_HOME": str(java_home),
                "JAVA_OPTS_KC_HEAP": f"-Xms64m -Xmx{heap}",
                "KC_BOOTSTRAP_ADMIN_USERNAME": ADMIN_USER,
                "KC_BOOTSTRAP_ADMIN_PASSWORD": self.realm.admin_password_file.read_text(),
            },
            cwd=home,
        )  # fmt: skip

    def probe(self) -> str | None:
        expected = self.realm.issuer
        discovery = f"{expected}/.well-known/openid-configuration"
        try:
            response = httpx.get(discovery, timeout=5)
        except httpx.HTTPError as err:
            return f"{discovery} does not answer ({type(err).__name__})"
        if response.status_code != 200:
            return f"{discovery} answers {response.status_code}"
        issuer = response.json().get("issuer")
        return None if issuer == expected else f"the realm's issuer is {issuer!r}, not {expected!r}"


KEYCLOAK_ENGINES: tuple[type[Engine], ...] = (KeycloakEngine,)
