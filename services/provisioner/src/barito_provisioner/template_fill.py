"""Filling infrastructure templates (``infra/templates/{nomad,kubernetes}``).

A template is a YAML document in the target's own API form. Its strings may
hold placeholders, ``{{ name }}``: a string that is exactly one placeholder
becomes the context's value with its type (a list, a number, a mapping); a
placeholder inside a longer string is replaced by the value's text. Nothing
else is evaluated, so the target's own template syntax (Nomad's
``{{ range nomadService ... }}``) passes through untouched when it arrives
as a value.

    >>> fill({"Count": "{{ n }}", "Name": "kafka-{{ n }}"}, {"n": 3})
    {'Count': 3, 'Name': 'kafka-3'}

Exceptions::

    ValueError
    └── TemplateError   unreadable file, or a placeholder the context lacks
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = ["TemplateError", "fill", "load_template"]

_PLACEHOLDER = re.compile(r"\{\{ ([a-z_][a-z0-9_]*) \}\}")


class TemplateError(ValueError):
    """A template file is unreadable, or names a value the context lacks."""


def load_template(path: Path) -> Any:
    """The parsed YAML of ``path``."""
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise TemplateError(f"{path}: not a readable template: {err}") from err


def fill(tree: Any, context: Mapping[str, Any], *, source: str = "template") -> Any:
    """A copy of ``tree`` with every placeholder replaced from ``context``."""
    if isinstance(tree, dict):
        return {
            fill(key, context, source=source): fill(value, context, source=source)
            for key, value in tree.items()
        }
    if isinstance(tree, list):
        return [fill(item, context, source=source) for item in tree]
    if not isinstance(tree, str):
        return tree
    whole = _PLACEHOLDER.fullmatch(tree)
    if whole:
        return _value(whole.group(1), context, source)
    return _PLACEHOLDER.sub(lambda m: str(_value(m.group(1), context, source)), tree)


def _value(name: str, context: Mapping[str, Any], source: str) -> Any:
    if name not in context:
        raise TemplateError(f"{source}: no value for {{{{ {name} }}}}")
    return context[name]
