"""The configuration file (:mod:`hub.config.file`), its tables (:mod:`hub.config.sections`)
and the errors that name a bad value's TOML path (:mod:`hub.config.errors`)."""

from hub.config.errors import config_error_from
from hub.config.file import (
    DEFAULT_CONFIG_NAME,
    ConnectorSection,
    HubConfig,
    StoreSettings,
    SyncSettings,
    load_config,
)
from hub.config.sections import KNOWN_SECTIONS, Section

__all__ = [
    "DEFAULT_CONFIG_NAME",
    "KNOWN_SECTIONS",
    "ConnectorSection",
    "HubConfig",
    "Section",
    "StoreSettings",
    "SyncSettings",
    "config_error_from",
    "load_config",
]
