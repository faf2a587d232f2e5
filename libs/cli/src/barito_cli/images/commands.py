"""`barito images bases|build`: the local bases and the images, without a registry."""

from __future__ import annotations

import time

import click

from barito_cli.cli_group import CliGroup
from barito_cli.images.bases import DERIVED, build_bases
from barito_cli.images.service_images import SERVICE_IMAGES, build_service_images
from barito_cli.stack.config import load_config

__all__ = ["images"]


@click.group(cls=CliGroup)
def images() -> None:
    """Build Barito's images on local bases (no container registry needed)."""


@images.command("bases")
@click.argument("names", nargs=-1, type=click.Choice([b.tag for b in DERIVED]))
def bases_command(names: tuple[str, ...]) -> None:
    """Make barito-local/debian:bookworm (debootstrap) and the bases derived from it."""
    started = time.monotonic()
    for tag in build_bases(load_config(), echo=click.echo, names=names):
        click.echo(f"  {tag}")
    click.echo(f"bases ready in {time.monotonic() - started:.1f}s")


@images.command("build")
@click.argument("names", nargs=-1, type=click.Choice(list(SERVICE_IMAGES)))
def build_command(names: tuple[str, ...]) -> None:
    """Build the bases, then barito/<service>:dev for each service and the canary."""
    started = time.monotonic()
    built = build_service_images(load_config(), echo=click.echo, names=names)
    click.echo(f"\nimages built in {time.monotonic() - started:.1f}s:")
    for image in built:
        click.echo(f"  {image.tag:<26} {image.size_bytes / 1e6:7.0f} MB  {image.seconds:6.1f}s")
