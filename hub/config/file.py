"""The configuration file: one TOML file, read once, each table validated when used.

::

    [store]
    url = "sqlite:///billing-hub.db"      # or postgresql+psycopg://...

    [connectors.bank]                      # an instance name, used as `source`
    type = "csv"                           # a connector type a plugin offers
    ...                                    # that connector's own settings

Loading checks the file's shape, ``[store]``, ``[sync]`` and each connector's
``type``; every other table is a :class:`~hub.config.sections.Section`
validated by the part of the hub that uses it, and each connector's own
options by its plugin's config model when the connector is built. Every
error names the path of the bad value (``connectors.bank.files[0].encoding``).
Relative paths resolve against the folder holding the config file.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from hub.config.errors import config_error_from
from hub.config.sections import KNOWN_SECTIONS, Section
from hub.errors import ConfigError
from hub.secrets import SecretRef

DEFAULT_CONFIG_NAME = "billing-hub.toml"

S = TypeVar("S", bound=Section)


class StoreSettings(BaseModel):
    """Where the hub keeps its records."""

    model_config = ConfigDict(extra="forbid")

    url: str = "sqlite:///billing-hub.db"
    secret_key: SecretRef | None = None
    """Seals the credentials connectors keep between runs (rotating OAuth tokens):
    ``env:NAME`` of a long random value. Needed only by connectors that keep any."""


class SyncSettings(BaseModel):
    """How syncs run."""

    model_config = ConfigDict(extra="forbid")

    page_size: int = Field(default=2000, ge=1, le=100_000)


class ConnectorSection(BaseModel):
    """One ``[connectors.NAME]`` table: its ``type`` and its own options."""

    model_config = ConfigDict(extra="allow")

    type: str
    enabled: bool = True

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class HubConfig(BaseModel):
    """The whole configuration file; the hub's own tables stay raw until :meth:`section`."""

    model_config = ConfigDict(extra="forbid")

    store: StoreSettings = Field(default_factory=StoreSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    connectors: dict[str, ConnectorSection] = Field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """The other tables of the file (``reconcile``, ``web`` ...) as written, by name."""
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    _file: Path | None = PrivateAttr(default=None)
    _sections: dict[type[Section], Section] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _gather_tables(cls, data: Any) -> Any:
        """Set the hub's own tables aside, raw; any other key is left to be refused."""
        if not isinstance(data, dict) or "tables" in data:
            return data
        rest = dict(data)
        tables: dict[str, Any] = {}
        for name in KNOWN_SECTIONS:
            if name in rest:
                value = rest.pop(name)
                if not isinstance(value, dict):
                    raise ConfigError(f"[{name}] must be a table, got {value!r}", path=name)
                tables[name] = value
        rest["tables"] = tables
        return rest

    @property
    def config_file(self) -> Path | None:
        """The file this configuration was loaded from, if any."""
        return self._file

    def has_table(self, name: str) -> bool:
        """Whether the file has a ``[name]`` table (``[collections]`` is optional)."""
        return name in self.tables

    def section(self, model: type[S]) -> S:
        """The ``[model.table]`` table validated by ``model``, once per config.

        A table the file leaves out gets the model's defaults. Raises a
        :class:`ConfigError` naming the path of the first bad value.
        """
        found = self._sections.get(model)
        if found is None:
            data = self.tables.get(model.table, {})
            try:
                found = model.model_validate(data)
            except ValidationError as exc:
                raise config_error_from(exc, prefix=model.table, data=data,
                                        file=self._file) from None
            found.check(self)
            self._sections[model] = found
        assert isinstance(found, model)
        return found

    def with_table(self, name: str, values: dict[str, Any]) -> HubConfig:
        """A copy of this config with ``[name]`` replaced by ``values`` (for tests and tools)."""
        if name not in KNOWN_SECTIONS:
            raise ConfigError(f"unknown table [{name}]", path=name)
        copy = self.model_copy(update={"tables": {**self.tables, name: values}})
        copy._file = self._file
        copy._sections = {}
        return copy

    def store_url(self) -> str:
        """The store URL, with a relative SQLite path resolved against ``base_dir``."""
        url = self.store.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            rest = url[len(prefix):]
            if rest and rest != ":memory:":
                return prefix + str((self.base_dir / rest).resolve())
        return url


def load_config(path: Path | str) -> HubConfig:
    """Read the config file at ``path`` and check its shape.

    Numbers with a fraction are read as ``Decimal``, exactly as written
    (``amount_tolerance_percent = 2.5``), never as floats.
    """
    file = Path(path)
    if not file.exists():
        raise ConfigError(
            f"config file {file} does not exist",
            hint="run `billing-hub init` to write a commented one, or pass --config PATH",
            file=str(file),
        )
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"), parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}", file=str(file)) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file} is not UTF-8 text", file=str(file)) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {file}: {exc.strerror or exc}",
            hint="pass the path of the config file itself (--config PATH)", file=str(file),
        ) from None
    if "tables" in data:
        raise ConfigError("unknown setting", path="tables", file=str(file),
                          hint=f"fix it in {file} and run again")
    try:
        config = HubConfig.model_validate(data)
    except ValidationError as exc:
        raise config_error_from(exc, data=data, file=file) from None
    loaded = config.model_copy(update={"base_dir": file.resolve().parent})
    loaded._file = file.resolve()
    loaded._sections = {}
    return loaded
