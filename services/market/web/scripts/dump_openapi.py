"""Print the market's OpenAPI document, as committed in services/market/web/openapi.json.

`make api-client` writes it there and regenerates src/api/schema.d.ts from it;
tests/test_web_api_client_fresh.py runs this same script to prove both are current.
"""

from __future__ import annotations

import json
import sys

from barito_market.main import create_app
from barito_market.settings import MarketSettings


def openapi_text() -> str:
    # Default settings: the document must not depend on this machine's BARITO_ variables.
    document = create_app(MarketSettings.model_construct()).openapi()
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(openapi_text())
