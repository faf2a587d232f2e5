"""The optional Kubernetes control plane of the local stack: etcd and kube-apiserver.

``barito stack up --with kubernetes`` starts them for the provisioner's
Kubernetes driver tests. Both are built from the Go module proxy by
``tools/kube-apiserver`` (a wrapper module pinning k8s.io/kubernetes's
staging modules to their published versions), once, and cached; the first
build takes a quarter of an hour on two cores. There are no kubelets, no
scheduler and no controller manager: objects are stored and served, pods
never run.

Access is a static bearer token of the ``system:masters`` group over TLS with a
self-signed certificate, both written to the API server's state folder::

    access = kubernetes_access(config)
    access.url, access.token, access.ca_file
"""

from __future__ import annotations

import secrets
import ssl
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from barito_cli.stack.config import StackConfig, StackError
from barito_cli.stack.engines import Engine, Launch
from barito_cli.stack.go_tools import go_tool

__all__ = [
    "KUBERNETES_ENGINES",
    "EtcdEngine",
    "KubeApiserverEngine",
    "KubernetesAccess",
    "kubernetes_access",
]

_TOOL = "kube-apiserver"


class EtcdEngine(Engine):
    name = "etcd"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> Launch:
        binary = go_tool(
            self.config, _TOOL, package="go.etcd.io/etcd/server/v3", binary="etcd", echo=print
        )
        self.home.mkdir(parents=True, exist_ok=True)
        peer = f"http://127.0.0.1:{self.settings['peer_port']}"
        return Launch(
            argv=[
                str(binary), "--name", "barito", "--data-dir", str(self.home / "data"),
                "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", f"barito={peer}",
                # A test control plane: losing it in a power cut loses nothing of value.
                "--unsafe-no-fsync",
            ],
            env={},
        )  # fmt: skip

    def probe(self) -> str | None:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                body = response.read().decode()
        except (OSError, urllib.error.URLError) as err:
            return f"/health: {err}"
        return None if '"health":"true"' in body.replace(" ", "") else f"/health: {body}"


@dataclass(frozen=True)
class KubernetesAccess:
    url: str
    token: str
    ca_file: Path


def kubernetes_access(config: StackConfig) -> KubernetesAccess:
    """How to reach the stack's API server (after ``stack up --with kubernetes``)."""
    engine = KubeApiserverEngine(config)
    token_file = engine.home / "token"
    if not token_file.exists():
        raise StackError(
            "the kube-apiserver has not been prepared: barito stack up --with kubernetes"
        )
    return KubernetesAccess(engine.url, token_file.read_text().strip(), engine.home / "tls.crt")


class KubeApiserverEngine(Engine):
    name = "kube-apiserver"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _openssl(self, *args: str) -> None:
        result = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise StackError(f"openssl {args[0]} failed: {result.stderr}")

    def _credentials(self) -> None:
        home = self.home
        home.mkdir(parents=True, exist_ok=True)
        home.chmod(0o700)
        if not (home / "tls.crt").exists():
            self._openssl(
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                "-keyout", str(home / "tls.key"), "-out", str(home / "tls.crt"),
                "-subj", "/CN=barito-kube-apiserver",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            )  # fmt: skip
        if not (home / "sa.key").exists():
            self._openssl("genrsa", "-out", str(home / "sa.key"), "2048")
            self._openssl(
                "rsa", "-in", str(home / "sa.key"), "-pubout", "-out", str(home / "sa.pub")
            )
        if not (home / "token").exists():
            token = secrets.token_urlsafe(32)
            (home / "token").write_text(token)
            # Static tokens: token,user,uid,"groups"; system:masters may do anything.
            (home / "tokens.csv").write_text(
                f'{token},barito-admin,barito-admin,"system:masters"\n'
            )

    def prepare(self) -> Launch:
        binary = go_tool(
            self.config,
            _TOOL,
            package="k8s.io/kubernetes/cmd/kube-apiserver",
            binary="kube-apiserver",
            echo=print,
        )
        self._credentials()
        etcd = EtcdEngine(self.config).url
        home = self.home
        return Launch(
            argv=[
                str(binary),
                f"--etcd-servers={etcd}",
                "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
                f"--secure-port={self.port}",
                f"--tls-cert-file={home / 'tls.crt'}", f"--tls-private-key-file={home / 'tls.key'}",
                f"--cert-dir={home / 'certs'}",
                f"--token-auth-file={home / 'tokens.csv'}",
                "--anonymous-auth=false",
                "--authorization-mode=RBAC",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-account-key-file={home / 'sa.pub'}",
                f"--service-account-signing-key-file={home / 'sa.key'}",
                "--service-cluster-ip-range=10.96.0.0/16",
                # The "kubernetes" Service's endpoints may not be loopback; there is
                # no cluster network that would use them anyway.
                "--endpoint-reconciler-type=none",
                # Two shared cores: no request fairness bookkeeping, no profiling.
                "--enable-priority-and-fairness=false",
                "--profiling=false",
            ],
            env={},
        )  # fmt: skip

    def probe(self) -> str | None:
        token_file = self.home / "token"
        if not token_file.exists():
            return "no token yet"
        context = ssl.create_default_context(cafile=str(self.home / "tls.crt"))
        request = urllib.request.Request(
            f"{self.url}/readyz", headers={"Authorization": f"Bearer {token_file.read_text()}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=3, context=context) as response:
                body = response.read().decode()
        except (OSError, urllib.error.URLError) as err:
            return f"/readyz: {err}"
        return None if body.strip() == "ok" else f"/readyz: {body[-300:]}"


# etcd first: the API server needs it to start.
KUBERNETES_ENGINES: tuple[type[Engine], ...] = (EtcdEngine, KubeApiserverEngine)
