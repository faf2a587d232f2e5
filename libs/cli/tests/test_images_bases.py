"""The local bases' definitions agree with what the service Dockerfiles and the host expect."""

from __future__ import annotations

import re
from pathlib import Path

from barito_cli.images.bases import BASES_DIR, DEBIAN_BASE, DERIVED
from barito_cli.images.build_inputs import pinned_uv_version
from barito_cli.images.service_images import SERVICE_IMAGES
from barito_cli.stack.config import find_repo_root

REPO = find_repo_root(Path(__file__).parent)


def test_the_host_fills_the_uv_cache_with_the_uv_the_images_run() -> None:
    # uv's cache layout is versioned: a cache filled by another uv is not found
    # offline, and every locked package would look missing inside the build.
    makefile = (REPO / "Makefile").read_text()
    host = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert host is not None
    assert pinned_uv_version(REPO) == host.group(1)
    for dockerfile in SERVICE_IMAGES.values():
        assert f"uv=={host.group(1)}" in (REPO / dockerfile).read_text(), dockerfile


def test_every_derived_base_is_built_over_a_local_base() -> None:
    local = {DEBIAN_BASE, *(base.tag for base in DERIVED)}
    for base in DERIVED:
        text = (REPO / BASES_DIR / base.dockerfile).read_text()
        argument, parent = base.parent
        # The Dockerfile's own default names the parent too, so it builds by hand.
        assert f"ARG {argument}={parent}\n" in text, base.dockerfile
        assert f"FROM ${{{argument}}}\n" in text, base.dockerfile
        assert parent in local


def test_the_service_dockerfiles_take_the_bases_the_cli_passes() -> None:
    for name, dockerfile in SERVICE_IMAGES.items():
        text = (REPO / dockerfile).read_text()
        assert "FROM ${PYTHON_BUILD_BASE} AS builder" in text, name
        assert "FROM ${PYTHON_BASE}\n" in text, name
    assert "FROM ${NODE_BASE} AS web" in (REPO / SERVICE_IMAGES["market"]).read_text()
