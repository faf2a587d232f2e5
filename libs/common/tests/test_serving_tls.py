"""A service serves HTTPS from its own certificate files and serves a renewed one without a restart.

Real sockets: a service app under uvicorn (as ``barito_common.serving`` runs
it) on a free port, clients trusting only the run's CA
(``barito_cli.stack.certificates``). The certificate files are laid out as
the kubelet mounts a Secret (``tls.crt`` -> ``..data/tls.crt``, ``..data`` a
symlink to a dated folder, swapped by one rename), which is how cert-manager's
renewal reaches a pod; a pair copied over the files in place is the other way
a file is renewed. The last test starts a real service process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import connect as websocket_connect
from websockets.exceptions import InvalidStatus

from barito_cli.stack.certificates import CertificateAuthority, ServerCertificate
from barito_common.service_app import Dependency, create_service_app
from barito_common.serving import uvicorn_options
from barito_common.settings import ServiceSettings
from barito_common.tls_reload import DEFAULT_CHECK_INTERVAL_S
from barito_testing.ports import free_port
from barito_testing.serving import serve

# Short, so a renewal is seen within a test; the services run with 5 s.
CHECK_INTERVAL_S = 0.3


class SecretVolume:
    """A folder laid out as the kubelet mounts a Secret, renewed by one atomic rename."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir()
        self.directory = directory
        self.certfile = directory / "tls.crt"
        self.keyfile = directory / "tls.key"

    def publish(self, certificate: ServerCertificate) -> None:
        version = self.directory / f"..{uuid.uuid4().hex}"
        version.mkdir()
        shutil.copy(certificate.certfile, version / "tls.crt")
        shutil.copy(certificate.keyfile, version / "tls.key")
        staged = self.directory / "..data_tmp"
        staged.symlink_to(version.name)
        staged.replace(self.directory / "..data")
        for link in (self.certfile, self.keyfile):
            if not link.is_symlink():
                link.symlink_to(Path("..data") / link.name)


def _leaf_der(certificate: ServerCertificate | Path) -> bytes:
    """The DER of the first certificate of a PEM chain: what a client is shown."""
    path = certificate.certfile if isinstance(certificate, ServerCertificate) else certificate
    pem = path.read_text()
    first = pem[: pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")]
    return ssl.PEM_cert_to_DER_cert(first)


def _client_context(ca: CertificateAuthority) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca.cafile))


@asynccontextmanager
async def _nothing(app: FastAPI) -> AsyncIterator[list[Dependency]]:
    yield []


@asynccontextmanager
async def _served_over_tls(certfile: Path, keyfile: Path) -> AsyncIterator[str]:
    """A service app served as every service is, with this certificate; yields its https URL."""
    settings = ServiceSettings(tls_certfile=str(certfile), tls_keyfile=str(keyfile))
    app = create_service_app(service="probe", settings=settings, lifespan=_nothing)
    options = uvicorn_options(settings, tls_check_interval_s=CHECK_INTERVAL_S)
    async with serve(app, **options) as url:
        yield url.replace("http://", "https://")


async def _peer_certificate(
    url: str, ca: CertificateAuthority, server_name: str | None = None
) -> bytes:
    """The certificate a new connection to ``url`` is shown (verified against the CA).

    Dialling an IP address sends no server name (SNI); ``server_name`` sends one.
    """
    host, port = url.removeprefix("https://").split(":")
    _, writer = await asyncio.open_connection(
        host, int(port), ssl=_client_context(ca), server_hostname=server_name or host
    )
    try:
        der: bytes | None = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        assert der is not None
        return der
    finally:
        writer.close()
        await writer.wait_closed()


async def _eventually_shown(
    url: str, ca: CertificateAuthority, expected: bytes, interval_s: float = CHECK_INTERVAL_S
) -> float:
    """Seconds until a new connection is shown ``expected``; fails after a few intervals."""
    started = time.monotonic()
    while await _peer_certificate(url, ca) != expected:
        assert time.monotonic() - started < 3 * interval_s + 2, "renewal not served"
        await asyncio.sleep(CHECK_INTERVAL_S / 3)
    return time.monotonic() - started


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority(tmp_path / "ca")


async def test_a_client_trusting_the_ca_gets_healthz_over_https(
    ca: CertificateAuthority, tmp_path: Path
) -> None:
    volume = SecretVolume(tmp_path / "tls")
    volume.publish(ca.issue("first"))
    async with (
        _served_over_tls(volume.certfile, volume.keyfile) as url,
        httpx.AsyncClient(verify=_client_context(ca)) as client,
    ):
        response = await client.get(f"{url}/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "service": "probe"}
        # The certificate names 127.0.0.1; a client trusting only the system's CAs refuses it.
        async with httpx.AsyncClient() as untrusting:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await untrusting.get(f"{url}/healthz")


async def test_plain_http_to_the_tls_port_is_told_to_use_https(
    ca: CertificateAuthority, tmp_path: Path
) -> None:
    volume = SecretVolume(tmp_path / "tls")
    volume.publish(ca.issue("first"))
    async with (
        _served_over_tls(volume.certfile, volume.keyfile) as url,
        httpx.AsyncClient() as client,
        httpx.AsyncClient(verify=_client_context(ca)) as trusting,
    ):
        plain_url = url.replace("https://", "http://")
        for request in (
            client.get(f"{plain_url}/healthz"),
            client.post(f"{plain_url}/api/v1/logs", content=b'{"m": 1}\n' * 500),
        ):
            response = await request
            assert response.status_code == 400
            assert response.json()["error"] == {
                "code": "tls_required",
                "message": "This port speaks HTTPS only and a plain-HTTP request reached it: "
                "use https:// in the client's URL.",
            }
        # The same port goes on serving TLS clients.
        assert (await trusting.get(f"{url}/healthz")).status_code == 200


async def test_a_silent_or_untrusting_client_does_not_stop_the_port_serving(
    ca: CertificateAuthority, tmp_path: Path
) -> None:
    volume = SecretVolume(tmp_path / "tls")
    volume.publish(ca.issue("first"))
    async with _served_over_tls(volume.certfile, volume.keyfile) as url:
        host, port = url.removeprefix("https://").split(":")
        # One connects and sends nothing; another refuses the certificate mid-handshake.
        _, silent = await asyncio.open_connection(host, int(port))
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection(
                host, int(port), ssl=ssl.create_default_context(), server_hostname=host
            )
        async with httpx.AsyncClient(verify=_client_context(ca)) as trusting:
            assert (await trusting.get(f"{url}/healthz")).status_code == 200
        silent.close()


def _swap_secret(volume: SecretVolume, renewed: ServerCertificate) -> None:
    volume.publish(renewed)


def _copy_in_place(volume: SecretVolume, renewed: ServerCertificate) -> None:
    # Key first, then chain, each by an atomic rename, as an operator's script would.
    for source, target in ((renewed.keyfile, volume.keyfile), (renewed.certfile, volume.certfile)):
        staged = target.with_name(f".{target.name}.new")
        shutil.copy(source, staged)
        staged.replace(target)


@pytest.mark.parametrize("renew", [_swap_secret, _copy_in_place], ids=["secret", "in-place"])
async def test_a_renewed_certificate_is_served_to_new_connections_without_a_restart(
    ca: CertificateAuthority,
    tmp_path: Path,
    renew: Callable[[SecretVolume, ServerCertificate], None],
) -> None:
    volume = SecretVolume(tmp_path / "tls")
    first = ca.issue("first")
    volume.publish(first)
    if renew is _copy_in_place:
        # Plain files, not the Secret's symlinks.
        for link in (volume.certfile, volume.keyfile):
            content = link.read_bytes()
            link.unlink()
            link.write_bytes(content)
    async with _served_over_tls(volume.certfile, volume.keyfile) as url:
        assert await _peer_certificate(url, ca) == _leaf_der(first)
        # An open connection stays on the certificate it was made with.
        host, port = url.removeprefix("https://").split(":")
        _, held = await asyncio.open_connection(host, int(port), ssl=_client_context(ca))

        renewed = ca.issue("renewed")  # same CA, same hosts, new serial and key
        assert _leaf_der(renewed) != _leaf_der(first)
        renew(volume, renewed)

        delay = await _eventually_shown(url, ca, _leaf_der(renewed))
        assert delay <= 2 * CHECK_INTERVAL_S + 1
        # A client that names the host (SNI) gets the same.
        assert await _peer_certificate(url, ca, "localhost") == _leaf_der(renewed)
        assert held.get_extra_info("ssl_object").getpeercert(binary_form=True) == _leaf_der(first)
        held.close()
        await held.wait_closed()
        async with httpx.AsyncClient(verify=_client_context(ca)) as client:
            assert (await client.get(f"{url}/healthz")).status_code == 200


async def test_a_broken_renewal_keeps_the_previous_certificate_and_says_which_files(
    ca: CertificateAuthority, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    volume = SecretVolume(tmp_path / "tls")
    first = ca.issue("first")
    volume.publish(first)
    renewed = ca.issue("renewed")
    # The renewed chain with the old key: a pair that does not match.
    mismatched = ServerCertificate(renewed.certfile, first.keyfile)
    caplog.set_level(logging.INFO, logger="barito_common.tls_reload")
    async with _served_over_tls(volume.certfile, volume.keyfile) as url:
        volume.publish(mismatched)
        await asyncio.sleep(2 * CHECK_INTERVAL_S)
        for _ in range(3):
            assert await _peer_certificate(url, ca) == _leaf_der(first)
            await asyncio.sleep(CHECK_INTERVAL_S)
        (error,) = [
            r
            for r in caplog.records
            if r.name == "barito_common.tls_reload" and r.levelno == logging.ERROR
        ]
        assert "previous certificate is still served" in error.getMessage()
        assert error.ctx["certfile"] == str(volume.certfile)  # type: ignore[attr-defined]
        assert error.ctx["keyfile"] == str(volume.keyfile)  # type: ignore[attr-defined]
        async with httpx.AsyncClient(verify=_client_context(ca)) as client:
            assert (await client.get(f"{url}/healthz")).status_code == 200

        # Fixed by the next renewal: served then.
        volume.publish(renewed)
        await _eventually_shown(url, ca, _leaf_der(renewed))


async def test_certificate_files_gone_keep_the_loaded_certificate_served(
    ca: CertificateAuthority, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    volume = SecretVolume(tmp_path / "tls")
    first = ca.issue("first")
    volume.publish(first)
    async with _served_over_tls(volume.certfile, volume.keyfile) as url:
        volume.certfile.unlink()
        volume.keyfile.unlink()
        for _ in range(3):
            await asyncio.sleep(CHECK_INTERVAL_S)
            assert await _peer_certificate(url, ca) == _leaf_der(first)
        errors = [
            r.getMessage()
            for r in caplog.records
            if r.name == "barito_common.tls_reload" and r.levelno == logging.ERROR
        ]
        assert errors == [
            "TLS certificate files cannot be read; the loaded certificate is still served."
        ]
        # Back (a new version): served again.
        renewed = ca.issue("renewed")
        volume.publish(renewed)
        await _eventually_shown(url, ca, _leaf_der(renewed))


async def _image_healthcheck(env: dict[str, str]) -> int:
    """Exit status of the images' HEALTHCHECK command, run with ``env``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "barito_common.healthcheck", "/healthz", env=env
    )
    async with asyncio.timeout(20):
        return await process.wait()


async def test_the_images_healthcheck_asks_over_https_when_a_certificate_is_set(
    ca: CertificateAuthority, tmp_path: Path
) -> None:
    volume = SecretVolume(tmp_path / "tls")
    volume.publish(ca.issue("first"))
    base = {key: value for key, value in os.environ.items() if not key.startswith("BARITO_")}
    tls = {"BARITO_TLS_CERTFILE": str(volume.certfile), "BARITO_TLS_KEYFILE": str(volume.keyfile)}
    async with _served_over_tls(volume.certfile, volume.keyfile) as url:
        port = url.rsplit(":", 1)[1]
        assert await _image_healthcheck(base | tls | {"BARITO_PORT": port}) == 0
        # Plain HTTP to a TLS listener is no answer: unhealthy, not a false "healthy".
        assert await _image_healthcheck(base | {"BARITO_PORT": port}) == 1
    settings = ServiceSettings()
    app = create_service_app(service="probe", settings=settings, lifespan=_nothing)
    async with serve(app, **uvicorn_options(settings)) as url:
        port = url.rsplit(":", 1)[1]
        assert await _image_healthcheck(base | {"BARITO_PORT": port}) == 0


async def test_the_tail_server_process_serves_https_and_wss_and_a_renewed_certificate(
    ca: CertificateAuthority, tmp_path: Path
) -> None:
    volume = SecretVolume(tmp_path / "tls")
    volume.publish(ca.issue("server"))
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BARITO_")}
    env |= {
        "BARITO_PORT": str(port),
        "BARITO_TLS_CERTFILE": str(volume.certfile),
        "BARITO_TLS_KEYFILE": str(volume.keyfile),
        # Nothing listens there: /healthz answers without Kafka, and no test's
        # engine is touched.
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
    }
    output = tmp_path / "server.log"
    with output.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "barito_server.main",
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"https://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(verify=_client_context(ca), timeout=2) as client:
            deadline = time.monotonic() + 60
            while True:
                assert process.returncode is None, output.read_text()
                try:
                    response = await client.get(f"{url}/healthz")
                    break
                except httpx.ConnectError:
                    assert time.monotonic() < deadline, output.read_text()
                    await asyncio.sleep(0.2)
            assert response.status_code == 200
            assert response.json()["service"] == "server"
        # The live tail's websocket goes through the same TLS listener: the
        # upgrade reaches the tail route, which answers with its JSON error
        # (no Kafka here, so the app registry never loads).
        with pytest.raises(InvalidStatus) as refused:
            async with websocket_connect(
                f"wss://127.0.0.1:{port}/api/v1/tail/some-app", ssl=_client_context(ca)
            ):
                pass
        denial = refused.value.response
        assert denial.status_code == 503
        assert json.loads(denial.body)["error"]["code"]
        # The process (uvloop's TLS, the default 5 s check) serves a renewal too.
        renewed = ca.issue("server-renewed")
        volume.publish(renewed)
        await _eventually_shown(url, ca, _leaf_der(renewed), DEFAULT_CHECK_INTERVAL_S)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(20):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
