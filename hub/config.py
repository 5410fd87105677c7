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
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from hub.collect.settings import CollectionSettings
from hub.contract.connector import ConnectorContext, ConnectorSpec, CredentialVault
from hub.errors import ConfigError
from hub.outbox.settings import PushSettings
from hub.reconcile.settings import ReconcileSettings
from hub.schedule.settings import ScheduleSettings
from hub.secrets import SecretRef
from hub.web.settings import WebSettings

DEFAULT_CONFIG_NAME = "billing-hub.toml"


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
    """The whole configuration file."""

    model_config = ConfigDict(extra="forbid")

    store: StoreSettings = Field(default_factory=StoreSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    connectors: dict[str, ConnectorSection] = Field(default_factory=dict)
    reconcile: ReconcileSettings = Field(default_factory=ReconcileSettings)
    push: PushSettings = Field(default_factory=PushSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    collections: CollectionSettings | None = None
    """Payment reminders for overdue invoices (``billing-hub collect``); none by default."""
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    _file: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _schedule_names_connectors(self) -> HubConfig:
        self.schedule.check_connectors(set(self.connectors))  # a ConfigError with its path
        return self

    @property
    def config_file(self) -> Path | None:
        """The file this configuration was loaded from, if any."""
        return self._file

    def store_url(self) -> str:
        """The store URL, with a relative SQLite path resolved against ``base_dir``."""
        url = self.store.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            rest = url[len(prefix):]
            if rest and rest != ":memory:":
                return prefix + str((self.base_dir / rest).resolve())
        return url

    def connector_context(self, instance: str, spec: ConnectorSpec,
                          vault: CredentialVault | None = None) -> ConnectorContext:
        """Validate ``[connectors.<instance>]`` with the spec's model."""
        options = self.connectors[instance].options()
        try:
            parsed = spec.config_model.model_validate(options)
        except ValidationError as exc:
            raise config_error_from(exc, prefix=f"connectors.{instance}", data=options,
                                    file=self._file) from None
        return ConnectorContext(instance=instance, config=parsed, base_dir=self.base_dir,
                                vault=vault)


def _dotted(
    loc: tuple[int | str, ...], prefix: str, data: Any = None, *, missing: bool = False
) -> str:
    """The TOML path of an error's location.

    With the validated ``data`` at hand, the parts of ``loc`` that are not
    keys of the data (pydantic's names of union members, ``str`` in
    ``columns.total.str``) are left out: they mean nothing in the file. Only
    a ``missing`` error ends on a key that is not there.
    """
    out = prefix
    here: Any = data
    for i, part in enumerate(loc):
        if data is not None and isinstance(part, str):
            absent_field = missing and i == len(loc) - 1 and isinstance(here, dict)
            if isinstance(here, dict) and part in here:
                here = here[part]
            elif not absent_field:
                continue  # a union member's tag: no such key in the file
        elif data is not None and isinstance(part, int):
            here = here[part] if isinstance(here, list) and 0 <= part < len(here) else None
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


def config_error_from(
    exc: ValidationError, *, prefix: str = "", data: Any = None, file: Path | str | None = None
) -> ConfigError:
    """Turn a pydantic error into a ConfigError naming the TOML path of the first problem.

    ``data`` is what was validated (it lets the path skip pydantic's own
    labels); ``file`` the configuration file, named in the hint.
    """
    errors = exc.errors()
    paths = [_dotted(tuple(e["loc"]), prefix, data, missing=e["type"] == "missing")
             for e in errors]
    first, path = errors[0], paths[0]
    more = len(set(paths)) - 1  # a union's members fail on one value: one problem
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    message = first["msg"]
    if first["type"] not in ("missing", "extra_forbidden") and "input" in first:
        shown = first["input"]
        if isinstance(shown, str | int | bool | Decimal) and not _looks_secret(path, message):
            message += f", got {shown!r}" if not isinstance(shown, Decimal) else f", got {shown}"
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
    where = f"fix it in {file}" if file else "edit the config file"
    return ConfigError(message + tail, path=path, hint=f"{where} and run again",
                       file=str(file) if file else None)


def load_config(path: Path | str) -> HubConfig:
    """Read and validate the config file at ``path``.

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
    try:
        config = HubConfig.model_validate(data)
    except ValidationError as exc:
        raise config_error_from(exc, data=data, file=file) from None
    loaded = config.model_copy(update={"base_dir": file.resolve().parent})
    loaded._file = file.resolve()
    return loaded
