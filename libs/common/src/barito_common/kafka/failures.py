"""Which failures of a consumed record's handler may pass, and so are retried (pure).

The consume loop (:mod:`barito_common.kafka.consume_loop`) retries a record
whose handler failed *transiently* and dead-letters one that failed for any
other reason. A failure is transient when it, or any error it was raised
from (``raise ... from err``, followed through ``__cause__``), is one of:

* :class:`TransientError` — a handler's own way of saying "not now";
* a ``KafkaError`` — Kafka unreachable, a leader moving, a producer to replace;
* an ``OSError`` — a refused or reset connection, a timeout (``TimeoutError``
  is one), as a database driver raises them;
* an error the caller's own test (``also``) says may pass, e.g. the market's
  for a database that is away or busy (SQLAlchemy's and Postgres' errors).

Everything else — a record the handler's rules refuse, a bug — would fail the
same way on every try, so retrying it would stall its partition for good.
"""

from __future__ import annotations

from collections.abc import Callable

from aiokafka.errors import KafkaError

__all__ = ["TransientError", "is_transient"]


class TransientError(RuntimeError):
    """Raised by a handler for a failure that may pass: the record is retried, not dead-lettered."""


_TRANSIENT: tuple[type[BaseException], ...] = (TransientError, KafkaError, OSError)


def is_transient(
    err: BaseException, *, also: Callable[[BaseException], bool] | None = None
) -> bool:
    """Whether ``err`` or an error it was raised from may pass (see the module docstring).

    >>> is_transient(ConnectionRefusedError()), is_transient(ValueError("bad"))
    (True, False)
    >>> try:
    ...     try:
    ...         raise TimeoutError()
    ...     except TimeoutError as cause:
    ...         raise RuntimeError("Kafka did not answer") from cause
    ... except RuntimeError as wrapped:
    ...     is_transient(wrapped)
    True
    >>> is_transient(KeyError("x"), also=lambda link: isinstance(link, LookupError))
    True
    """
    seen: set[int] = set()
    link: BaseException | None = err
    while link is not None and id(link) not in seen:
        if isinstance(link, _TRANSIENT) or (also is not None and also(link)):
            return True
        seen.add(id(link))
        # Only the explicit cause: an error merely raised while another was
        # being handled (``__context__``) is not made transient by it.
        link = link.__cause__
    return False
