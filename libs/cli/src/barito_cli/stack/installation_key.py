"""The local installation's installation key: one random secret in a 0600 file, made once.

The market seals each app's forward key under it and the receiver opens
them (``barito_common.installation_key``), so both are given the same file
as ``BARITO_INSTALLATION_KEY_FILE``, the way a Kubernetes Secret is mounted.
It is kept in the stack's state folder (the secured stack has its own), so
keys sealed before a restart still open after it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from barito_cli.stack.config import StackConfig

__all__ = ["INSTALLATION_KEY_SERVICES", "installation_key_environment", "installation_key_file"]

# The services that seal (market) or open (receiver) forward keys; no other is given it.
INSTALLATION_KEY_SERVICES = ("market", "receiver", "server")


def installation_key_file(config: StackConfig) -> Path:
    """The file holding the stack's installation key, made (random, 0600) on first use."""
    path = config.state_dir / "secrets" / "installation-key"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Created 0600 in one step, so the key is never readable by others,
        # not even between writing it and changing its mode.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path  # another `barito up` made it just now
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48))
    return path


def installation_key_environment(config: StackConfig, service: str) -> dict[str, str]:
    """``BARITO_INSTALLATION_KEY_FILE`` for the market, receiver and server; nothing for others."""
    if service not in INSTALLATION_KEY_SERVICES:
        return {}
    return {"BARITO_INSTALLATION_KEY_FILE": str(installation_key_file(config))}
