"""The `barito` command.

barito stack up|down|status|logs   the private local stack of real engines
barito stack env [SERVICE]         a service's BARITO_ settings for the stack, as exports
barito up | down | status          the stack plus the five services
  (each with --secure: the secured stack beside the plain one: TLS, SASL, passwords)
barito tail APP                    an app's live logs
barito images bases|build         local bases and the images, without a registry
barito canary                      markers written, tailed and searched; Prometheus metrics
barito admin create-user|republish accounts and the app registry
barito audit [bandit|python|npm]   the code and the locked packages, against known issues
"""

from __future__ import annotations

import shlex
import time

import click

from barito_cli.admin import admin
from barito_cli.audit.commands import audit_command
from barito_cli.canary import canary_command
from barito_cli.cli_group import CliGroup
from barito_cli.images.commands import images
from barito_cli.stack.config import StackConfig, load_config
from barito_cli.stack.engines import ALL_ENGINE_NAMES, OPTIONAL_ENGINES
from barito_cli.stack.keycloak_realm import demo_users_notice
from barito_cli.stack.manager import (
    default_engine_names,
    log_tail,
    running_engines,
    stack_down,
    stack_status,
    stack_up,
)
from barito_cli.stack.secure_stack import forget_secure_material
from barito_cli.suite import SERVICES, service_environment, suite_down, suite_status, suite_up
from barito_cli.tail import tail_command

ENGINE_CHOICE = click.Choice(ALL_ENGINE_NAMES)
SECURE = click.option(
    "--secure",
    is_flag=True,
    help="The secured stack: Kafka over SASL_SSL, the search engines and Postgres over TLS "
    "with passwords, on ports and a state folder of its own beside the plain stack.",
)


def _config(secure: bool) -> StackConfig:
    config = load_config()
    return config.secured() if secure else config


@click.group(cls=CliGroup)
def cli() -> None:
    """Barito: a self-service, multi-tenant log platform."""


@cli.group(cls=CliGroup)
def stack() -> None:
    """The private local stack: Kafka, Elasticsearch, OpenSearch, Postgres."""


@stack.command("up")
@click.argument("engines", nargs=-1, type=ENGINE_CHOICE)
@click.option(
    "--with",
    "extras",
    multiple=True,
    type=click.Choice(list(OPTIONAL_ENGINES)),
    help="Also start an optional part: kubernetes (etcd + kube-apiserver, built once), "
    "oidc (Keycloak, the market's single sign-on, with demo users).",
)
@click.option(
    "--fresh",
    is_flag=True,
    help="Start each engine that is not running from empty data (what make test does); "
    "with --secure also forget the CA, certificates and passwords when no engine uses them.",
)
@SECURE
def stack_up_command(
    engines: tuple[str, ...], extras: tuple[str, ...], fresh: bool, secure: bool
) -> None:
    """Fetch (once) and start the engines; return when each answers."""
    started = time.monotonic()
    config = _config(secure)
    if fresh and secure:
        click.echo(forget_secure_material(config))
    # An engine both named and part of --with (`up keycloak --with oidc`) starts once.
    names = dict.fromkeys(
        [
            *(engines or default_engine_names(config)),
            *(n for extra in extras for n in OPTIONAL_ENGINES[extra]),
        ]
    )
    stack_up(config, names, echo=click.echo, fresh=fresh)
    if "oidc" in extras:
        click.echo(demo_users_notice(config))
    click.echo(f"stack ready in {time.monotonic() - started:.1f}s")


@stack.command("down")
@click.argument("engines", nargs=-1, type=ENGINE_CHOICE)
@SECURE
def stack_down_command(engines: tuple[str, ...], secure: bool) -> None:
    """Stop the engines this stack started (by pid file)."""
    config = _config(secure)
    stack_down(config, engines or running_engines(config), echo=click.echo)


@stack.command("status")
@SECURE
def stack_status_command(secure: bool) -> None:
    """Show each engine's pid, address and readiness."""
    config = _config(secure)
    for status in stack_status(config, running_engines(config)):
        state = "ready" if status.ready else status.problem
        click.echo(f"{status.name:<14} {status.pid or '-':<8} {status.url:<40} {state}")


@stack.command("logs")
@click.argument("names", nargs=-1, type=click.Choice([*ALL_ENGINE_NAMES, *SERVICES]))
@click.option("-n", "--lines", default=40, show_default=True, help="Lines from each log's end.")
@SECURE
def stack_logs_command(names: tuple[str, ...], lines: int, secure: bool) -> None:
    """Show the end of each engine's (or service's) log."""
    config = _config(secure)
    for name in names or default_engine_names(config):
        click.secho(f"==> {config.log_file(name)} <==", bold=True)
        click.echo(log_tail(config, name, lines))


@stack.command("env")
@click.argument("service", required=False, type=click.Choice(SERVICES))
@SECURE
def stack_env_command(service: str | None, secure: bool) -> None:
    """Print the BARITO_ settings that point SERVICE at the stack, as `export` lines.

    Without SERVICE, the settings all five services share. Secrets are
    `..._FILE` paths: `eval "$(barito stack env --secure receiver)"` and a
    receiver started in that shell runs on the secured stack.
    """
    config = _config(secure)
    if service is None:
        first, *others = (service_environment(config, name) for name in SERVICES)
        env = {
            name: value
            for name, value in first.items()
            if name != "BARITO_PORT" and all(other.get(name) == value for other in others)
        }
    else:
        env = service_environment(config, service)
    for name, value in env.items():
        click.echo(f"export {name}={shlex.quote(value)}")


@cli.command("up")
@SECURE
def up_command(secure: bool) -> None:
    """Start the local stack and the five services; print their URLs."""
    started = time.monotonic()
    config = _config(secure)
    stack_up(config, echo=click.echo)
    statuses = suite_up(config, echo=click.echo)
    click.echo(f"\nBarito is up in {time.monotonic() - started:.1f}s:")
    for status in statuses:
        click.echo(f"  {status.name:<12} {status.url}")


@cli.command("down")
@click.option("--keep-stack", is_flag=True, help="Stop only the services.")
@SECURE
def down_command(keep_stack: bool, secure: bool) -> None:
    """Stop the services and (unless --keep-stack) the local stack."""
    config = _config(secure)
    suite_down(config, echo=click.echo)
    if not keep_stack:
        stack_down(config, running_engines(config), echo=click.echo)


@cli.command("status")
@SECURE
def status_command(secure: bool) -> None:
    """Readiness of the engines and the services."""
    config = _config(secure)
    for engine in stack_status(config):
        click.echo(
            f"{engine.name:<14} {engine.url:<40} {'ready' if engine.ready else engine.problem}"
        )
    for service in suite_status(config):
        click.echo(f"{service.name:<14} {service.url:<40} {service.readiness}")


cli.add_command(tail_command)
cli.add_command(canary_command)
cli.add_command(admin)
cli.add_command(images)
cli.add_command(audit_command)


if __name__ == "__main__":
    cli()
