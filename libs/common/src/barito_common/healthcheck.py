"""The images' HEALTHCHECK: is the service in this container answering?

::

    python -m barito_common.healthcheck /healthz

Asks ``127.0.0.1:$BARITO_PORT``, over HTTPS when ``BARITO_TLS_CERTFILE`` is
set (the service then serves only TLS). Exit status 0 on a 2xx answer, 1
otherwise, as Docker's ``HEALTHCHECK`` reads it. Only the standard library is
imported: it runs every few seconds beside the service.
"""

from __future__ import annotations

import os
import ssl
import sys
import urllib.request
from collections.abc import Mapping

__all__ = ["check", "health_url"]


def health_url(path: str, env: Mapping[str, str] = os.environ) -> str:
    """Where the service in this container answers ``path``."""
    scheme = "https" if env.get("BARITO_TLS_CERTFILE") else "http"
    return f"{scheme}://127.0.0.1:{env.get('BARITO_PORT', '8000')}{path}"


def check(url: str, timeout_s: float = 2.0) -> bool:
    """Whether ``url`` answers with a 2xx."""
    # The certificate is not verified: it names the service's public host,
    # not 127.0.0.1, and this check is about the process answering on its
    # own loopback, not about whom a client talks to.
    context = None
    if url.startswith("https:"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=timeout_s, context=context) as response:
            return 200 <= int(response.status) < 300
    except (OSError, ValueError):
        return False


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/healthz"
    return 0 if check(health_url(path)) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
