"""What every check works on: the connector built as the hub builds it, its harness, its spec.

A :class:`CheckContext` serves one check in one working folder. It finds the
plugin offering the harness's connector type (through the ``billing_hub``
entry points unless given a registry), builds connector objects from the
spec's config model and factory, seeds the harness's fake once per entity,
pulls every page of a pull, and closes every connector it built and the
harness at the end. It also holds the one place where a check is skipped for
a capability the entity does not declare (:meth:`CheckContext.require`).
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

from pydantic import ValidationError

from hub.contract.connector import Connector, ConnectorContext, ConnectorSpec, EntitySupport
from hub.contract.page import Page
from hub.plugins import ENTRY_POINT_GROUP, PluginInfo, PluginRegistry, load_plugins
from hub.testing.checks.errors import CheckSkipped, ContractViolation
from hub.testing.harness import ConnectorHarness

__all__ = ["INSTANCE", "MAX_PAGES", "SEEDED", "CheckContext"]

INSTANCE = "contract"
"""The instance name the kit gives the connector: every record's ``source``."""
SEEDED = 7
"""Records seeded per entity: more than two pages of ``ConnectorHarness.page_size`` (3)."""
MAX_PAGES = 1000
"""Pages of one pull after which the kit takes the connector to be looping."""


class CheckContext:
    """One harness class in one working folder: what the checks build, seed, pull and close.

    Every connector it builds and the harness are closed by :meth:`close`.
    """

    def __init__(self, harness_class: type[ConnectorHarness], workdir: Path, *,
                 registry: PluginRegistry | None = None) -> None:
        """``registry``: the plugins to look the connector up in (default: the installed ones,
        loaded through the entry points, which is what the registration check is about)."""
        self.harness_class = harness_class
        self.workdir = workdir
        self._harness: ConnectorHarness | None = None
        self._registry = registry
        self._connectors: list[Connector] = []
        self._seeded: dict[str, list[str]] = {}

    @property
    def connector_type(self) -> str:
        return self.harness_class.connector_type

    @property
    def harness(self) -> ConnectorHarness:
        """The harness, made in ``workdir/fake`` when first asked for."""
        if self._harness is None:
            folder = self.workdir / "fake"
            folder.mkdir(parents=True, exist_ok=True)
            self._harness = self.harness_class(folder)
        return self._harness

    @property
    def registry(self) -> PluginRegistry:
        if self._registry is None:
            self._registry = load_plugins()
        return self._registry

    # ------------------------------------------------------------ the plugin and its spec
    def plugin(self) -> PluginInfo:
        """The installed plugin offering the harness's connector type."""
        wanted = self.harness_class.plugin_name
        infos = [p for p in self.registry.plugins if wanted is None or p.name == wanted]
        for info in infos:
            if info.broken:
                if wanted is not None or info.name == self.connector_type:
                    raise ContractViolation(
                        f"plugin {info.name!r} ({info.module}) is installed but broken: "
                        f"{info.error}")
                continue
            if any(s.name == self.connector_type for s in info.connectors):
                return info
        if wanted is not None and not infos:
            raise ContractViolation(
                f"no entry point named {wanted!r} in the {ENTRY_POINT_GROUP!r} group. Add "
                f"`{wanted} = \"your_package.plugin\"` under [project.entry-points."
                f"{ENTRY_POINT_GROUP}] in pyproject.toml and install the package again "
                "(pip install -e .)")
        offered = sorted(self.registry.connector_specs())
        raise ContractViolation(
            f"no installed plugin offers connector type {self.connector_type!r} (installed "
            f"types: {', '.join(offered) or 'none'}). Its plugin must answer hub_connectors "
            f"with a ConnectorSpec named {self.connector_type!r} and be registered under "
            f"[project.entry-points.{ENTRY_POINT_GROUP}]; install it (pip install -e .)")

    def spec(self) -> ConnectorSpec:
        info = self.plugin()
        return next(s for s in info.connectors if s.name == self.connector_type)

    def entities(self) -> list[str]:
        """The entities to check: the harness's list, else every one the spec declares."""
        chosen = self.harness_class.entities
        return list(chosen) if chosen is not None else [e.entity for e in self.spec().entities]

    def support(self, entity: str) -> EntitySupport:
        spec = self.spec()
        support = spec.supports(entity)
        if support is None:
            declared = ", ".join(e.entity for e in spec.entities)
            raise ContractViolation(
                f"the harness checks {entity!r} but connector {spec.name!r} declares only "
                f"{declared}")
        return support

    def require(self, entity: str, capability: str) -> EntitySupport:
        """The entity's support, or :class:`CheckSkipped` when it lacks ``capability``."""
        support = self.support(entity)
        if not getattr(support, capability):
            raise CheckSkipped(
                f"{self.connector_type} does not declare {capability} for this entity "
                f"(EntitySupport.{capability}=False)")
        return support

    # ------------------------------------------------------ the fake and the connector
    def seed(self, entity: str) -> list[str]:
        """Seed :data:`SEEDED` records of ``entity`` once; their ids."""
        if entity not in self._seeded:
            ids = self.harness.seed(entity, SEEDED)
            if len(ids) != SEEDED or len(set(ids)) != SEEDED:
                raise ContractViolation(
                    f"harness.seed({entity!r}, {SEEDED}) returned {len(set(ids))} distinct ids "
                    f"out of {len(ids)}; it must return the {SEEDED} external ids it seeded")
            self._seeded[entity] = list(ids)
        return self._seeded[entity]

    def connector(self) -> Connector:
        """A new connector object on the harness's config, built as the hub builds one."""
        spec = self.spec()
        try:
            config = spec.config_model.model_validate(dict(self.harness.config()))
        except ValidationError as exc:
            raise ContractViolation(
                f"harness.config() does not validate with {spec.config_model.__name__}: "
                f"{exc}") from None
        context = ConnectorContext(instance=INSTANCE, config=config,
                                   base_dir=self.harness.workdir)
        built = spec.build(context)
        if not isinstance(built, Connector):
            raise ContractViolation(
                f"the factory of {spec.name!r} returned {type(built).__name__}, "
                "not a hub.contract.connector.Connector")
        self._connectors.append(built)
        return built

    def pull(self, entity: str, cursor: str | None = None) -> list[Page]:
        """Every page of one pull by a new connector object."""
        connector = self.connector()
        pages: list[Page] = []
        for page in connector.pull(entity, cursor):
            if not isinstance(page, Page):
                raise ContractViolation(
                    f"pull({entity!r}) yielded {type(page).__name__}, not hub.Page")
            if page.cursor is not None and not isinstance(page.cursor, str):
                raise ContractViolation(
                    f"a page's cursor is {type(page.cursor).__name__}; give Page a hub.Cursor "
                    "(it keeps the cursor's JSON) or a string")
            pages.append(page)
            if len(pages) > MAX_PAGES:
                raise ContractViolation(
                    f"pull({entity!r}) yielded more than {MAX_PAGES} pages for {SEEDED} "
                    "records: does it loop?")
        connector.close()
        return pages

    def close(self) -> None:
        """Close every connector built (errors ignored) and the harness."""
        for connector in self._connectors:
            with suppress(Exception):  # closing twice may fail; the check is over
                connector.close()
        self._connectors.clear()
        if self._harness is not None:
            self._harness.close()
            self._harness = None
