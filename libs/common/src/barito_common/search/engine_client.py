"""What every part of the search adapter stands on: the engine's client, wrapped.

:class:`EngineClient` holds the client, the settings it was built from and the
engine's URL (without credentials), unwraps the client's answers and raises
what the client raises as the :mod:`barito_common.search.errors` tree, a
refused password, API key or certificate named as
:mod:`~barito_common.search.access_failures` says. The adapter's parts
(:mod:`~barito_common.search.bulk_indexing`, :mod:`~barito_common.search.search_requests`,
:mod:`~barito_common.search.index_admin`) build on it, and an engine module
(:mod:`~barito_common.search.elasticsearch_adapter`) fills in its hooks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

from barito_common.search.errors import translated_error
from barito_common.settings import SearchSettings

__all__ = ["Engine", "EngineClient"]

Engine = Literal["elasticsearch", "opensearch"]


class EngineClient:
    """One engine's async client, its answers unwrapped and its errors translated."""

    _engine: ClassVar[Engine]
    _client_errors: ClassVar[tuple[type[Exception], ...]]
    """What the engine's client raises for error answers and failed connections."""

    def __init__(self, client: Any, *, settings: SearchSettings) -> None:
        # The two clients share method names and keyword arguments but no base
        # type, so the client is typed by what the engine module hands in: Any.
        self._client = client
        self._settings = settings
        self._url = without_credentials(settings.url)

    @property
    def engine(self) -> Engine:
        """``"elasticsearch"`` or ``"opensearch"``."""
        return self._engine

    def _body(self, response: Any) -> Any:
        """The decoded JSON of a client response."""
        return response

    @contextmanager
    def _errors_translated(self, action: str, *, missing_ok: bool = False) -> Iterator[None]:
        """Raise client errors as :class:`SearchError`; swallow 404 if ``missing_ok``."""
        try:
            yield
        except self._client_errors as err:
            error = translated_error(
                err, action, engine=self.engine, url=self._url, settings=self._settings
            )
            if missing_ok and error.status == 404:
                return
            raise error from err


def without_credentials(url: str) -> str:
    """``url`` fit for messages and logs: any ``user:password@`` removed.

    >>> without_credentials("https://elastic:s3cret@search:9200/x")
    'https://search:9200/x'
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
