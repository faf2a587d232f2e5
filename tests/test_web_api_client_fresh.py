"""The web UI's API client is generated from the market's OpenAPI; stale files fail here.

`make api-client` rewrites services/market/web/openapi.json from the market's
code and regenerates src/api/schema.d.ts from it. A route or schema changed
without running it would leave the UI compiling against an API that no
longer exists; this catches that before a user does.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[1] / "services" / "market" / "web"
FIX = "run `make api-client` and commit services/market/web/openapi.json and src/api/schema.d.ts"


def test_committed_openapi_document_matches_the_markets_routes() -> None:
    dumped = subprocess.run(
        [sys.executable, str(WEB / "scripts" / "dump_openapi.py")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert dumped == (WEB / "openapi.json").read_text(), f"openapi.json is stale: {FIX}"


@pytest.mark.skipif(
    not (WEB / "node_modules" / ".bin" / "openapi-typescript").exists(),
    reason="node modules not installed (make web installs them)",
)
def test_committed_typescript_schema_is_generated_from_the_committed_document(
    tmp_path: Path,
) -> None:
    generated = tmp_path / "schema.d.ts"
    npx = shutil.which("npx")
    assert npx, "npx (Node.js) is needed to build the web UI"
    subprocess.run(
        [npx, "openapi-typescript", "openapi.json", "-o", str(generated)],
        cwd=WEB,
        check=True,
        capture_output=True,
    )
    committed = (WEB / "src" / "api" / "schema.d.ts").read_text()
    assert generated.read_text() == committed, f"src/api/schema.d.ts is stale: {FIX}"
