"""The secured stack's search engines: HTTPS from the stack's CA, one user, no demo anything.

* :class:`SecuredElasticsearchEngine` — x-pack security (the basic license
  has it): HTTP TLS from PEM files, a file-realm superuser ``barito`` whose
  password is the material's, and an API key made once the engine answers and
  kept as a secret file; the services use the API key.
* :class:`SecuredOpenSearchEngine` — OpenSearch 2.19.4 with its security
  plugin (fetched from Maven Central and installed into a cached copy of the
  distribution): TLS on HTTP and transport, one internal user ``barito``
  (backend role ``admin``) with the material's password; the demo users and
  certificates are never installed.

Both serve a certificate naming 127.0.0.1 only, so a client dialling
``localhost`` is told the certificate names another host. Each engine follows
the secured engine interface (``docs/architecture.md``): ``client_settings()``
for a Barito client (secrets as values), ``service_environment()`` for a
service (secrets as ``_FILE`` paths), a ``probe()`` through that client.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import bcrypt
import httpx
from cryptography import x509

from barito_cli.stack.config import StackConfig, StackError
from barito_cli.stack.downloads import fetch_artifact
from barito_cli.stack.engines import ElasticsearchEngine, Launch, OpenSearchEngine
from barito_cli.stack.processes import chown_to_unprivileged
from barito_cli.stack.secure_material import SecureMaterial
from barito_common.settings import SearchSettings

__all__ = ["SEARCH_USER", "SecuredElasticsearchEngine", "SecuredOpenSearchEngine"]

SEARCH_USER = "barito"
_ANALYSIS_PLUGIN = "barito-security-analysis"
_ANALYSIS_PLUGIN_CLASS = "SecurityIndexAnalysisPlugin"
# Only the address the stack listens on: dialling `localhost` must fail the name check.
_CERTIFICATE_HOSTS = ("127.0.0.1",)


def _password_hash(password: str) -> str:
    # $2a$: the bcrypt flavour both engines' verifiers read.
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10, prefix=b"2a")).decode()


def _ping(settings: SearchSettings) -> str | None:
    """None when ``settings`` reach a green or yellow cluster; otherwise the adapter's reason."""
    from barito_common.search import SearchError, create_search_adapter

    async def check() -> None:
        async with create_search_adapter(settings) as search:
            await search.ping()

    try:
        asyncio.run(check())
    except SearchError as err:
        return str(err)
    return None


def _secured_copy(plain: Path, install: Callable[[Path], None], *, tag: str) -> Path:
    """A cached copy of the distribution ``plain`` with ``install`` applied to it, made
    once per ``tag`` (what was installed: a new plugin or source gets a new copy)."""
    secured = plain.with_name(f"{plain.name}-security-{tag}")
    if (secured / ".complete").exists():
        return secured
    staging = secured.with_name(secured.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(plain, staging, symlinks=True)
    install(staging)
    shutil.rmtree(secured, ignore_errors=True)
    staging.rename(secured)
    (secured / ".complete").touch()
    return secured


def _run(argv: list[str], *, java_home: Path, what: str, cwd: Path | None = None) -> None:
    env = {
        "JAVA_HOME": str(java_home),
        "OPENSEARCH_JAVA_HOME": str(java_home),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StackError(f"{what} failed:\n{result.stdout}{result.stderr}")


def _install_certificates(material: SecureMaterial, name: str, certs: Path) -> None:
    """The engine's certificate, key and the stack's CA, copied into its config folder
    (both engines read PEM files only from inside it)."""
    certificate = material.certificate(name, *_CERTIFICATE_HOSTS)
    certs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(certificate.certfile, certs / "node.pem")
    shutil.copyfile(certificate.keyfile, certs / "node-key.pem")
    shutil.copyfile(material.cafile, certs / "ca.pem")
    (certs / "node-key.pem").chmod(0o600)


class SecuredElasticsearchEngine(ElasticsearchEngine):
    """Elasticsearch 8 with security on: HTTPS, user ``barito``, an API key for the services."""

    def __init__(self, config: StackConfig, material: SecureMaterial) -> None:
        super().__init__(config)
        self.material = material

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def api_key_file(self) -> Path:
        """The services' API key (``encoded``), made by the first probe that finds none working."""
        return self.material.directory / "secrets" / "elasticsearch-api-key"

    def distribution(self) -> Path:
        """A cached copy of the distribution with the analysis .security needs (see
        deploy/local/elasticsearch/SecurityIndexAnalysisPlugin.java)."""
        source = self.config.definition_dir / "elasticsearch" / f"{_ANALYSIS_PLUGIN_CLASS}.java"
        java_home = self.config.java_home(self.name)

        def install(dist: Path) -> None:
            plugin = dist / "plugins" / _ANALYSIS_PLUGIN
            classes = plugin / "classes"
            _run(
                [str(java_home / "bin" / "javac"), "-d", str(classes),
                 "-cp", f"{dist / 'lib'}/*", str(source)],
                java_home=java_home, what="compiling the .security analysis plugin",
            )  # fmt: skip
            _run(
                [str(java_home / "bin" / "jar"), "cf", str(plugin / f"{_ANALYSIS_PLUGIN}.jar"),
                 "-C", str(classes), "."],
                java_home=java_home, what="packaging the .security analysis plugin",
            )  # fmt: skip
            shutil.rmtree(classes)
            (plugin / "plugin-descriptor.properties").write_text(
                "\n".join(
                    [
                        f"name={_ANALYSIS_PLUGIN}",
                        "description=The analysis components of Elasticsearch's .security index",
                        "version=1.0",
                        f"classname=org.barito.stack.{_ANALYSIS_PLUGIN_CLASS}",
                        "java.version=17",
                        f"elasticsearch.version={self.settings['version']}",
                        "",
                    ]
                )
            )

        tag = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
        return _secured_copy(super().distribution(), install, tag=tag)

    def engine_settings(self) -> list[str]:
        return [
            "xpack.security.enabled: true",
            "xpack.security.http.ssl.enabled: true",
            "xpack.security.http.ssl.certificate: certs/node.pem",
            "xpack.security.http.ssl.key: certs/node-key.pem",
            # Transport too, as the engine expects with security on; with one
            # node no peer's name needs checking, only its certificate's CA.
            "xpack.security.transport.ssl.enabled: true",
            "xpack.security.transport.ssl.certificate: certs/node.pem",
            "xpack.security.transport.ssl.key: certs/node-key.pem",
            "xpack.security.transport.ssl.certificate_authorities: certs/ca.pem",
            "xpack.security.transport.ssl.verification_mode: certificate",
            "xpack.security.authc.api_key.enabled: true",
            # No built-in `elastic` user and friends: the file realm's user is the only one.
            "xpack.security.authc.reserved_realm.enabled: false",
        ]

    def prepare(self) -> Launch:
        launch = super().prepare()
        conf = self.home / "config"
        _install_certificates(self.material, self.name, conf / "certs")
        # The file realm: ours the only user, its password the material's.
        (conf / "users").write_text(
            f"{SEARCH_USER}:{_password_hash(self.material.password(self.name))}\n"
        )
        (conf / "users_roles").write_text(f"superuser:{SEARCH_USER}\n")
        chown_to_unprivileged(self.home)
        return launch

    def user_settings(self) -> SearchSettings:
        """How a client reaches this engine as user ``barito`` (basic auth)."""
        return SearchSettings(
            engine="elasticsearch",
            url=self.url,
            username=SEARCH_USER,
            password=self.material.password(self.name),
            ssl_cafile=str(self.material.cafile),
        )

    def client_settings(self) -> SearchSettings:
        """How a Barito service reaches this engine: with the API key."""
        if not self.api_key_file.exists():
            raise StackError(f"{self.name} has no API key yet: start it (barito stack up --secure)")
        return SearchSettings(
            engine="elasticsearch",
            url=self.url,
            api_key=self.api_key_file.read_text().strip(),
            ssl_cafile=str(self.material.cafile),
        )

    def service_environment(self) -> dict[str, str]:
        return {
            "BARITO_SEARCH__ENGINE": "elasticsearch",
            "BARITO_SEARCH__URL": self.url,
            "BARITO_SEARCH__SSL_CAFILE": str(self.material.cafile),
            "BARITO_SEARCH__API_KEY_FILE": str(self.api_key_file),
        }

    def probe(self) -> str | None:
        problem = _ping(self.user_settings())
        if problem is not None:
            return problem
        # The key lives in the engine's data: a fresh start forgets it, so one
        # that no longer works is replaced rather than handed to the services.
        if self.api_key_file.exists() and _ping(self.client_settings()) is None:
            return None
        return self._make_api_key() or _ping(self.client_settings())

    def _make_api_key(self) -> str | None:
        context = ssl.create_default_context(cafile=str(self.material.cafile))
        try:
            response = httpx.post(
                f"{self.url}/_security/api_key",
                json={"name": "barito-services", "metadata": {"made_by": "barito stack up"}},
                auth=(SEARCH_USER, self.material.password(self.name)),
                verify=context,
                timeout=10,
            )
        except httpx.HTTPError as err:
            return f"making the services' API key failed: {err!r}"
        if response.status_code != 200:
            return f"making the services' API key failed ({response.status_code}): {response.text}"
        self.api_key_file.parent.mkdir(parents=True, exist_ok=True)
        self.api_key_file.write_text(response.json()["encoded"])
        self.api_key_file.chmod(0o600)
        return None


class SecuredOpenSearchEngine(OpenSearchEngine):
    """OpenSearch 2 with its security plugin: TLS on HTTP and transport, user ``barito``."""

    def __init__(self, config: StackConfig, material: SecureMaterial) -> None:
        super().__init__(config)
        self.material = material

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def distribution(self) -> Path:
        """A cached copy of the distribution with the security plugin installed."""
        plugin = fetch_artifact(self.settings["security_plugin"], self.config.cache_dir / "plugins")

        def install(dist: Path) -> None:
            _run(
                [str(dist / "bin" / "opensearch-plugin"), "install", "--batch", plugin.as_uri()],
                java_home=self.config.java_home(self.name),
                what="installing OpenSearch's security plugin",
            )

        return _secured_copy(super().distribution(), install, tag=plugin.stem)

    def engine_settings(self) -> list[str]:
        node = self.material.certificate(self.name, *_CERTIFICATE_HOSTS)
        admin = self.material.certificate(f"{self.name}-admin", *_CERTIFICATE_HOSTS)
        pem = {
            f"plugins.security.ssl.{layer}.{key}": f"certs/{file}"
            for layer in ("http", "transport")
            for key, file in (
                ("pemcert_filepath", "node.pem"),
                ("pemkey_filepath", "node-key.pem"),
                ("pemtrustedcas_filepath", "ca.pem"),
            )
        }
        return [
            "plugins.security.ssl.http.enabled: true",
            *(f"{key}: {value}" for key, value in pem.items()),
            # One node: it never dials another, so no peer's name needs checking.
            "plugins.security.ssl.transport.enforce_hostname_verification: false",
            f"plugins.security.nodes_dn: {json.dumps([_subject(node.certfile)])}",
            # securityadmin's certificate (never the node's): kept for an
            # operator who changes the security configuration of a running stack.
            f"plugins.security.authcz.admin_dn: {json.dumps([_subject(admin.certfile)])}",
            # The security index is made from config/opensearch-security on the first start.
            "plugins.security.allow_default_init_securityindex: true",
            "plugins.security.allow_unsafe_democertificates: false",
            "plugins.security.audit.type: noop",
            "plugins.security.restapi.roles_enabled: []",
        ]

    def prepare(self) -> Launch:
        launch = super().prepare()
        conf = self.home / "config"
        _install_certificates(self.material, self.name, conf / "certs")
        # Only our user: the plugin's demo users (admin/admin, ...) are never loaded.
        (conf / "opensearch-security" / "internal_users.yml").write_text(
            "\n".join(
                [
                    "_meta:",
                    "  type: internalusers",
                    "  config_version: 2",
                    f"{SEARCH_USER}:",
                    f'  hash: "{_password_hash(self.material.password(self.name))}"',
                    "  reserved: true",
                    "  backend_roles:",
                    "    - admin",
                    "  description: Barito's services and tests",
                    "",
                ]
            )
        )
        chown_to_unprivileged(self.home)
        return launch

    def client_settings(self) -> SearchSettings:
        return SearchSettings(
            engine="opensearch",
            url=self.url,
            username=SEARCH_USER,
            password=self.material.password(self.name),
            ssl_cafile=str(self.material.cafile),
        )

    def service_environment(self) -> dict[str, str]:
        return {
            "BARITO_SEARCH__ENGINE": "opensearch",
            "BARITO_SEARCH__URL": self.url,
            "BARITO_SEARCH__SSL_CAFILE": str(self.material.cafile),
            "BARITO_SEARCH__USERNAME": SEARCH_USER,
            "BARITO_SEARCH__PASSWORD_FILE": str(self.material.password_file(self.name)),
        }

    def probe(self) -> str | None:
        return _ping(self.client_settings())


def _subject(certfile: Path) -> str:
    """The certificate's subject DN, as the security plugin compares it."""
    return x509.load_pem_x509_certificate(certfile.read_bytes()).subject.rfc4514_string()
