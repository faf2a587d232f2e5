"""Choosing an app's capacity template and events/s from what the user asked for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from barito_common.capacity import CapacityError, CapacityTemplate, template_for_tps
from barito_common.errors import ApiError

__all__ = ["Sizing", "choose_sizing"]


@dataclass(frozen=True)
class Sizing:
    template: CapacityTemplate
    tps: int
    custom_tps: int | None


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(
        422,
        f"body.{field}: {message}",
        details={"fields": [{"field": f"body.{field}", "message": message}]},
    )


def choose_sizing(
    templates: Mapping[str, CapacityTemplate], *, capacity: str | None, tps: int | None
) -> Sizing:
    """A named template keeps its own rate; a custom rate picks the smallest that fits."""
    if tps is not None:
        try:
            template = template_for_tps(templates, tps)
        except CapacityError as err:
            raise _invalid("tps", str(err)) from err
        return Sizing(template, tps, tps)
    name = capacity or min(templates.values(), key=lambda t: t.events_per_second).name
    if name not in templates:
        raise _invalid("capacity", f"must be one of {', '.join(templates)}")
    template = templates[name]
    return Sizing(template, template.events_per_second, None)
