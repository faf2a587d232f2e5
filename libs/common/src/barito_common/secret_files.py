"""Settings read from files: ``BARITO_<NAME>_FILE=/run/secrets/x`` sets ``BARITO_<NAME>``.

Kubernetes and Docker hand secrets to a container as mounted files; a secret
in a file stays out of ``/proc/<pid>/environ``, ``docker inspect`` and the pod
spec. :class:`SecretFilesSource` is the settings source that reads them, and
:class:`~barito_common.settings.ServiceSettings` uses it for every service::

    BARITO_KAFKA__SASL_PASSWORD_FILE=/run/secrets/kafka-password  # nested with __
    BARITO_SEARCH__PASSWORD_FILE=/run/secrets/search-password

The rules:

* Any setting can be read from a file, not only the secret ones: one rule,
  nothing to keep in step with the fields' types. The value is the file's
  text (UTF-8) less one trailing line break (what ``kubectl create secret
  --from-file`` and editors leave), then parsed exactly as the variable's
  value would be.
* ``BARITO_<NAME>`` and ``BARITO_<NAME>_FILE`` both set is refused: which of
  two different secrets is meant is not guessed.
* A ``_FILE`` variable whose ``<NAME>`` is no setting is refused, as is a
  file that is missing or unreadable. Each error names the variable and the
  path, never the file's content.
* A setting whose own name ends in ``_FILE`` (``BARITO_KUBERNETES__CA_FILE``)
  is that setting, not a file of another one.

Errors::

    SettingsError (pydantic_settings)
     └── SecretFileError   a _FILE variable refused; the service does not start
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_settings import EnvSettingsSource, SettingsError
from pydantic_settings.sources.utils import parse_env_vars

__all__ = ["FILE_SUFFIX", "SecretFileError", "SecretFilesSource", "setting_env_names"]

FILE_SUFFIX = "_FILE"


class SecretFileError(SettingsError):
    """A ``_FILE`` variable that cannot be used; the message names it and its path."""


def _fragment_of(annotation: Any) -> type[BaseModel] | None:
    """The nested settings model a field holds (``KafkaSettings``, ``X | None``), if any."""
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    for candidate in typing.get_args(annotation) if union else (annotation,):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def setting_env_names(model: type[BaseModel], prefix: str, delimiter: str = "__") -> set[str]:
    """Every variable (upper case) that sets a field of ``model``, fragments whole and nested."""
    names: set[str] = set()
    for field_name, field in model.model_fields.items():
        name = f"{prefix}{field_name}".upper()
        names.add(name)
        fragment = _fragment_of(field.annotation)
        if fragment is not None:
            names |= setting_env_names(fragment, f"{name}{delimiter}", delimiter)
    return names


def _read(variable: str, path: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        # The decode error quotes bytes of the file: only say what is wrong.
        raise SecretFileError(f"{variable}={path}: the file is not UTF-8 text") from None
    except OSError as err:
        raise SecretFileError(
            f"{variable}={path}: cannot read the file ({err.strerror or type(err).__name__})"
        ) from err
    for newline in ("\r\n", "\n"):
        if text.endswith(newline):
            return text[: -len(newline)]
    return text


class SecretFilesSource(EnvSettingsSource):
    """The environment source, each ``_FILE`` variable replaced by its file's content.

    It takes the place of pydantic-settings' own environment source (which
    would read ``BARITO_KAFKA__SASL_PASSWORD_FILE`` as an unknown Kafka field),
    so a value read from a file is parsed exactly as the variable's own value
    would be: nested ``__`` names, JSON for a whole fragment.
    """

    def _load_env_vars(self) -> Mapping[str, str | None]:
        prefix = self.env_prefix.upper()
        delimiter = self.env_nested_delimiter or "__"
        settings = setting_env_names(self.settings_cls, prefix, delimiter)
        environ = dict(os.environ)
        given = {name.upper() for name in environ}
        for variable, path in sorted(os.environ.items()):
            upper = variable.upper()
            if not (upper.startswith(prefix) and upper.endswith(FILE_SUFFIX)) or upper in settings:
                continue
            target = upper.removesuffix(FILE_SUFFIX)
            if target not in settings:
                raise SecretFileError(
                    f"{variable}={path}: {target} is not a setting of {self.settings_cls.__name__}"
                )
            if target in given:
                # Which of two values is the real secret is not guessed.
                raise SecretFileError(
                    f"{variable}={path} and {target} are both set: set the value or the file, "
                    "not both"
                )
            del environ[variable]
            environ[variable[: -len(FILE_SUFFIX)]] = _read(variable, path)
        return parse_env_vars(
            environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )
