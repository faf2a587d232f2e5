"""The Elasticsearch-compatible bulk API (POST /_bulk, GET /): filled in by issue 20's bulk work."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["ingest"])
