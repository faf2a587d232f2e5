"""A stand-in search engine (OpenSearch's API) that acknowledges every document.

A thousand apps make a thousand daily indices (and index templates): past the
1,000-shards-per-node default of a one-node Elasticsearch or OpenSearch, and
about two minutes of index creation on this machine, on engines other
benchmarks share. The flow's work (decoding, building documents, bulk
requests, commits) is all real; only the engine's side is replaced. It notes
which apps' marker events arrived, so the benchmark sees when a flow is
consuming every app's topic again.
"""

from __future__ import annotations

from collections import defaultdict

import orjson
from fastapi import FastAPI, Request, Response

MARKER = b'"bench_marker"'


class StubEngine:
    def __init__(self) -> None:
        self.documents = 0
        self.bulks = 0
        # marker round -> the apps whose marker event of that round was indexed
        self.markers: dict[str, set[str]] = defaultdict(set)
        self.app = FastAPI()
        self.app.add_api_route(
            "/{path:path}", self._answer, methods=["GET", "HEAD", "PUT", "POST", "DELETE"]
        )

    async def _answer(self, path: str, request: Request) -> Response:
        if path.endswith("_bulk"):
            return self._bulk(await request.body())
        if path.startswith("_cluster/health"):
            return _json({"status": "green"})
        if path.startswith("_cat/indices"):
            return _json([])
        return _json({"acknowledged": True})

    def _bulk(self, body: bytes) -> Response:
        lines = body.splitlines()
        actions = lines[0::2]
        self.bulks += 1
        self.documents += len(actions)
        if MARKER in body:
            for source in lines[1::2]:
                if MARKER in source:
                    round_, app = orjson.loads(source)["bench_marker"].split(":", 1)
                    self.markers[round_].add(app)
        items = [
            {op: {**meta, "status": 201} for op, meta in orjson.loads(a).items()} for a in actions
        ]
        return _json({"took": 1, "errors": False, "items": items})


def _json(body: object) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")
