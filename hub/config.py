"""The configuration file: one TOML file, validated by pydantic.

::

    [store]
    url = "sqlite:///billing-hub.db"      # or postgresql+psycopg://...

    [connectors.bank]                      # an instance name, used as `source`
    type = "csv"                           # a connector type a plugin offers
    ...                                    # that connector's own settings

Each connector section is validated by its plugin's config model, and every
error names the path of the bad value (``connectors.bank.files[0].encoding``).
Relative paths resolve against the folder holding the config file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.connector import ConnectorContext, ConnectorSpec
from hub.errors import ConfigError
from hub.reconcile.settings import ReconcileSettings

DEFAULT_CONFIG_NAME = "billing-hub.toml"


class StoreSettings(BaseModel):
    """Where the hub keeps its records."""

    model_config = ConfigDict(extra="forbid")

    url: str = "sqlite:///billing-hub.db"


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
    """The whole configuration file."""

    model_config = ConfigDict(extra="forbid")

    store: StoreSettings = Field(default_factory=StoreSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    connectors: dict[str, ConnectorSection] = Field(default_factory=dict)
    reconcile: ReconcileSettings = Field(default_factory=ReconcileSettings)
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    def store_url(self) -> str:
        """The store URL, with a relative SQLite path resolved against ``base_dir``."""
        url = self.store.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            rest = url[len(prefix):]
            if rest and rest != ":memory:":
                return prefix + str((self.base_dir / rest).resolve())
        return url

    def connector_context(self, instance: str, spec: ConnectorSpec) -> ConnectorContext:
        """Validate ``[connectors.<instance>]`` with the spec's model."""
        section = self.connectors[instance]
        try:
            parsed = spec.config_model.model_validate(section.options())
        except ValidationError as exc:
            raise config_error_from(exc, prefix=f"connectors.{instance}") from None
        return ConnectorContext(instance=instance, config=parsed, base_dir=self.base_dir)


def _dotted(loc: tuple[int | str, ...], prefix: str) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_SECRET_WORDS = ("secret", "key", "token", "password", "passwd", "credential", "auth")


def _looks_secret(path: str, message: str) -> bool:
    """Never echo a value that may be a secret typed in clear text."""
    last = path.rsplit(".", 1)[-1].lower()
    return any(word in last for word in _SECRET_WORDS) or "env:" in message


def config_error_from(exc: ValidationError, *, prefix: str = "") -> ConfigError:
    """Turn a pydantic error into a ConfigError naming the TOML path of the first problem."""
    first = exc.errors()[0]
    path = _dotted(tuple(first["loc"]), prefix)
    more = len(exc.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    message = first["msg"]
    if first["type"] not in ("missing", "extra_forbidden") and "input" in first:
        shown = first["input"]
        if isinstance(shown, str | int | bool) and not _looks_secret(path, message):
            message += f", got {shown!r}"
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
    return ConfigError(message + tail, path=path, hint="edit the config file and run again")


def load_config(path: Path | str) -> HubConfig:
    """Read and validate the config file at ``path``."""
    file = Path(path)
    if not file.exists():
        raise ConfigError(
            f"config file {file} does not exist",
            hint="run `billing-hub init` to write a commented one, or pass --config PATH",
        )
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file} is not UTF-8 text") from None
    try:
        config = HubConfig.model_validate(data)
    except ValidationError as exc:
        raise config_error_from(exc) from None
    return config.model_copy(update={"base_dir": file.resolve().parent})
