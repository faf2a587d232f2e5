"""Serves the built web UI (``services/market/web/dist``) under ``/``.

Client-side routes (``/apps/checkout/logs``) have no file of their own, so
any GET that names no file in ``dist`` answers ``index.html`` and the SPA's
router takes over. The API and the operational endpoints keep their own
answers: the catch-all is added after every other route, and paths under the
reserved prefixes answer the usual JSON 404 rather than a page, so a typo in
an API path never looks like a success to a script.

When ``dist`` is missing (a checkout where ``make web`` has not run) ``/``
explains that instead of failing.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response

from barito_common.errors import ApiError

__all__ = ["DEFAULT_DIST_DIR", "RESERVED_PREFIXES", "install_spa"]

# services/market/web/dist of the checkout this package runs from.
DEFAULT_DIST_DIR = Path(__file__).resolve().parents[2] / "web" / "dist"

RESERVED_PREFIXES = ("api", "healthz", "readyz", "metrics", "docs", "redoc", "openapi.json")

_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Barito: web UI not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>The web UI has not been built</h1>
<p>This market serves the single-page app from <code>{dist}</code>, which does not exist.
Run <code>make web</code> (or <code>make up</code>, which builds it) in the checkout and
reload this page.</p>
<p>The REST API works meanwhile: see <a href="/docs">/docs</a>.</p>
</body></html>
"""

# Hashed asset names change with their content, so browsers may keep them;
# index.html must be asked for again so a new build is picked up at once.
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
_REVALIDATE = {"Cache-Control": "no-cache"}


def _is_reserved(path: str) -> bool:
    first = path.split("/", 1)[0]
    return first in RESERVED_PREFIXES


def _file_in(dist: Path, path: str) -> Path | None:
    """The file ``path`` names inside ``dist``; never one outside it (``..``, symlinks)."""
    if not path:
        return None
    candidate = (dist / path).resolve()
    if not candidate.is_relative_to(dist) or not candidate.is_file():
        return None
    return candidate


def install_spa(app: FastAPI, dist_dir: Path = DEFAULT_DIST_DIR) -> None:
    """Add the catch-all GET route; call it after every other router is included."""
    dist = dist_dir.resolve()

    @app.get("/{path:path}", include_in_schema=False, response_model=None)
    async def spa(path: str) -> Response:
        if _is_reserved(path):
            raise ApiError(404, f"No such endpoint: /{path}.")
        index = dist / "index.html"
        if not index.is_file():
            return HTMLResponse(_NOT_BUILT.format(dist=dist), status_code=503)
        found = _file_in(dist, path)
        if found is not None:
            headers = _IMMUTABLE if found.parent.name == "assets" else _REVALIDATE
            return FileResponse(found, headers=headers)
        return FileResponse(index, headers=_REVALIDATE)
