"""The secured local stack as tests see it (``barito stack up --secure``, issue 19).

The same engines as ``barito stack up --secure`` starts (``barito_cli.stack.
secure_stack``), started by the test run itself through ``start_engines``:
each at most once per run, from empty data when it was not running. As the
plain stack's, they are left running when the run ends: an engine that
already runs (an earlier run's, someone's ``barito stack up --secure``) is
used as it is, so two runs on one machine never stop each other's engines.
The CA, certificates and passwords are the secured stack's own
(:class:`~barito_cli.stack.secure_material.SecureMaterial`), kept between
runs like ``barito stack up --secure`` keeps them.

Engines start when first asked for: a run of the Kafka security tests starts
the secured Kafka alone; the ``secure_stack`` fixture (``barito_testing.
plugin``) asks for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable

from barito_cli.stack.config import StackConfig
from barito_cli.stack.engines import Engine
from barito_cli.stack.manager import start_engines
from barito_cli.stack.secure_material import SecureMaterial
from barito_cli.stack.secure_stack import (
    SECURE_ENGINE_NAMES,
    secure_engine_for,
    secure_material,
    secure_service_environment,
)

__all__ = ["SecureStack"]


def _echo(line: str) -> None:
    print(f"[secure stack] {line}")


class SecureStack:
    """The secured stack of one test run: ``.engine("kafka")`` is started, once."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.material: SecureMaterial = secure_material(config)
        self._engines: dict[str, Engine] = {}

    def start(self, names: Iterable[str] = SECURE_ENGINE_NAMES) -> None:
        """Start those of ``names`` not running, from empty data; wait until each answers."""
        missing = [name for name in names if name not in self._engines]
        engines = [secure_engine_for(name, self.config) for name in missing]
        start_engines(engines, echo=_echo, fresh=True)
        self._engines.update(zip(missing, engines, strict=True))

    def engine(self, name: str) -> Engine:
        """The secured engine ``name``, answering (started on first ask)."""
        self.start([name])
        return self._engines[name]

    def service_environment(self, service: str) -> dict[str, str]:
        """The ``BARITO_*`` variables of ``service`` on this stack, as ``barito up --secure``'s."""
        return secure_service_environment(self.config, service)
