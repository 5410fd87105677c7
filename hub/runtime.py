"""The running hub: one config, the installed plugins and the store, in one object.

Every entry point (the CLI, the web service, the scheduler, the workers) opens
a :class:`Hub` and hands it to the hub's work (syncs, reconciles, pushes,
reminders) instead of passing a config, a plugin registry and a database
engine around separately. The hub builds the connectors its config names.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from hub.config import ConnectorSection, HubConfig, Section, config_error_from, load_config
from hub.contract.connector import Connector, ConnectorContext, ConnectorSpec
from hub.errors import ConfigError
from hub.plugins import PluginRegistry, load_plugins, notify
from hub.store import Engine, open_store
from hub.store.credentials import StoreVault

S = TypeVar("S", bound=Section)


def connector_options(config: HubConfig, instance: str, spec: ConnectorSpec) -> BaseModel:
    """``[connectors.<instance>]``'s own options, validated by the spec's config model."""
    options = config.connectors[instance].options()
    try:
        return spec.config_model.model_validate(options)
    except ValidationError as exc:
        raise config_error_from(exc, prefix=f"connectors.{instance}", data=options,
                                file=config.config_file) from None


@dataclass(slots=True)
class Hub:
    """A loaded config, the plugin registry and an engine on the migrated store."""

    config: HubConfig
    registry: PluginRegistry
    engine: Engine

    @classmethod
    @contextmanager
    def open(cls, config_path: Path | str, *,
             registry: PluginRegistry | None = None) -> Iterator[Hub]:
        """Load the config at ``config_path``, the plugins and the store (migrated); the
        store's connections are closed when the block ends."""
        config = load_config(config_path)
        registry = registry if registry is not None else load_plugins()
        engine = open_store(config.store_url())
        try:
            yield cls(config, registry, engine)
        finally:
            engine.dispose()

    def settings(self, model: type[S]) -> S:
        """The config's ``[model.table]``, validated (see :class:`~hub.config.Section`)."""
        return self.config.section(model)

    def connector_section(self, instance: str) -> ConnectorSection:
        """``[connectors.<instance>]``, or a ConfigError naming the ones there are."""
        section = self.config.connectors.get(instance)
        if section is None:
            known = ", ".join(sorted(self.config.connectors)) or "none configured"
            raise ConfigError(
                f"no connector named {instance!r} in the config (known: {known})",
                path=f"connectors.{instance}",
                hint="check the name, or add a [connectors.NAME] section (see `billing-hub init`)",
            )
        return section

    def connector_spec(self, instance: str) -> ConnectorSpec:
        """The spec of the connector type ``[connectors.<instance>]`` names."""
        return self.registry.connector_spec(self.connector_section(instance).type)

    def connector_context(self, instance: str, spec: ConnectorSpec, *,
                          vault: bool = True) -> ConnectorContext:
        """``[connectors.<instance>]`` validated by the spec's model, with a vault in the
        store for the credentials the connector keeps between runs (unless ``vault`` is
        false: a connector built to be looked at, not run)."""
        self.connector_section(instance)  # a ConfigError naming an unknown one
        parsed = connector_options(self.config, instance, spec)
        kept = StoreVault(self.engine, instance, self.config.store.secret_key) if vault else None
        return ConnectorContext(instance=instance, config=parsed, base_dir=self.config.base_dir,
                                vault=kept)

    def connector(self, instance: str, *, vault: bool = True) -> Connector:
        """The working connector object for ``[connectors.<instance>]``; close it after use."""
        spec = self.connector_spec(instance)
        return spec.build(self.connector_context(instance, spec, vault=vault))

    def notify(self, hook_name: str, **kwargs: object) -> None:
        """Tell the plugins' observer hook ``hook_name``; one failing plugin stops no other."""
        notify(self.registry, hook_name, **kwargs)
