"""``barito tail APP``: an app's live logs in the terminal.

Credentials, first found wins: ``--secret`` / ``--token``, then
``BARITO_TAIL_SECRET`` / ``BARITO_TOKEN``, then the CLI's config file
(``BARITO_CONFIG``, default ``~/.config/barito/config.toml``)::

    server = "https://tail.example.com"
    token = "<personal API token>"
    [secrets]
    checkout = "<checkout's app secret>"
"""

from __future__ import annotations

import contextlib
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

import click

from barito_cli.tail_client import TailRefused, TailRequest, follow
from barito_cli.tail_format import render_event

__all__ = ["tail_command"]

DEFAULT_SERVER = "http://127.0.0.1:18084"


def _config() -> dict[str, Any]:
    path = Path(os.environ.get("BARITO_CONFIG", Path.home() / ".config/barito/config.toml"))
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise click.ClickException(f"cannot read the config file {path}: {err}") from err


def _headers(
    app: str, secret: str | None, token: str | None, config: dict[str, Any]
) -> dict[str, str]:
    secret = secret or config.get("secrets", {}).get(app)
    if secret:
        return {"X-App-Secret": secret}
    token = token or config.get("token")
    if token:
        return {"Authorization": f"Bearer {token}"}
    raise click.UsageError(
        "no credentials: pass --secret (or BARITO_TAIL_SECRET) with the app's secret, or "
        "--token (or BARITO_TOKEN) with your API token, or put them in the config file"
    )


@click.command("tail")
@click.argument("app")
@click.option(
    "--server", envvar="BARITO_SERVER", help="Tail server URL [default: config, else local]."
)
@click.option("--secret", envvar="BARITO_TAIL_SECRET", help="The app's secret.")
@click.option("--token", envvar="BARITO_TOKEN", help="Your personal API token.")
@click.option("-q", "--grep", "grep", help="Only events whose JSON contains this text.")
@click.option("--regex", help="Only events whose JSON matches this RE2 regular expression.")
@click.option("--level", help="Only these levels, comma-separated (e.g. warn,error).")
@click.option(
    "--field", "fields", multiple=True, metavar="NAME=VALUE", help="Field equality; repeatable."
)
@click.option(
    "--since", type=click.FloatRange(min=0, min_open=True), help="Start this many seconds back."
)
@click.option("--resume", help="Continue from a resume token printed by an earlier tail.")
@click.option("--json", "as_json", is_flag=True, help="Print each event as one raw JSON line.")
def tail_command(
    app: str,
    server: str | None,
    secret: str | None,
    token: str | None,
    grep: str | None,
    regex: str | None,
    level: str | None,
    fields: tuple[str, ...],
    since: float | None,
    resume: str | None,
    as_json: bool,
) -> None:
    """Follow APP's logs live, straight from Kafka; Ctrl-C to stop."""
    config = _config()
    filters = [("q", grep), ("regex", regex), ("level", level)]
    request = TailRequest(
        server=server or config.get("server") or DEFAULT_SERVER,
        app=app,
        headers=_headers(app, secret, token, config),
        filters=[(k, v) for k, v in filters if v] + [("field", f) for f in fields],
        since=since,
        resume=resume,
    )
    announced = False
    last_token = resume

    def on_frame(frame: dict[str, Any]) -> bool:
        nonlocal announced, last_token
        last_token = frame.get("resume") or last_token
        if "event" in frame:
            click.echo(render_event(frame["event"], as_json=as_json))
        elif "started" in frame and not announced:
            announced = True
            click.echo(f"Tailing {app} (Ctrl-C to stop)", err=True)
        elif "dropped" in frame:
            click.echo(f"[{frame['dropped']} events skipped: this terminal fell behind]", err=True)
        elif "closed" in frame:
            click.echo(f"[{frame['closed']['message']}]", err=True)
            return False
        return True

    def on_notice(message: str) -> None:
        click.echo(f"[{message}]", err=True)

    try:
        follow(request, on_frame, on_notice)
    except KeyboardInterrupt:
        # Ctrl-C is how a tail ends: a clean exit, not click's "Aborted!".
        if last_token:
            click.echo(f"[continue with: barito tail {app} --resume {last_token}]", err=True)
    except BrokenPipeError:
        # `barito tail app | head`: the reader left; stop quietly.
        with contextlib.suppress(OSError):
            sys.stdout.close()
    except TailRefused as err:
        raise click.ClickException(str(err)) from err
