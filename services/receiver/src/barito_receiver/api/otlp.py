"""OTLP logs over HTTP (POST /v1/logs): filled in by issue 20's OTLP work."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["ingest"])
