"""The contract's checks, runnable without pytest.

:class:`ContractKit` builds a connector the way the hub does (the
``billing_hub`` entry point, the spec's config model, its factory) against
the fake system of a :class:`~hub.testing.harness.ConnectorHarness`, and each
``check_*`` method either returns (the connector keeps that part of the
contract), raises :class:`ContractViolation` saying what is wrong and what
to do, or raises :class:`CheckSkipped` with the reason the check does not
apply (a capability the connector does not declare).
:mod:`hub.testing.contract` runs them as pytest tests.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from hub.connectors.replay import MemoryReplayGuard
from hub.contract.connector import (
    ChangeHint,
    Connector,
    ConnectorContext,
    ConnectorSpec,
    EntitySupport,
    Page,
    PushChange,
    PushOperation,
    PushResult,
    PushStatus,
    WebhookDelivery,
    WebhookReceipt,
    idempotency_key,
)
from hub.errors import RecordRejected, WebhookSignatureError
from hub.models import ENTITY_MODELS, CanonicalRecord
from hub.plugins import ENTRY_POINT_GROUP, PluginInfo, PluginRegistry, load_plugins
from hub.testing.harness import ConnectorHarness

INSTANCE = "contract"
"""The instance name the kit gives the connector: every record's ``source``."""
SEEDED = 7
"""Records seeded per entity: more than two pages of ``ConnectorHarness.page_size`` (3)."""
MAX_PAGES = 1000
STALE = timedelta(days=1)


class ContractViolation(AssertionError):
    """The connector breaks the contract; the message says how and what to change."""


class CheckSkipped(Exception):
    """The check does not apply to this connector; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _ids(records: Iterable[CanonicalRecord]) -> list[str]:
    return [r.external_id for r in records]


def _show(ids: Iterable[str], limit: int = 5) -> str:
    items = sorted(ids)
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _dump(record: CanonicalRecord) -> dict[str, Any]:
    return record.model_dump(mode="json")


_UNREADABLE = (
    (re.compile(r"Traceback \(most recent call last\)"), "it holds a traceback"),
    (re.compile(r"errors\.pydantic\.dev"), "it is pydantic's raw error text; "
     "use hub.contract.connector.explain_invalid(exc)"),
    (re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>"), "it shows an object's repr"),
    (re.compile(r"^\s*[A-Za-z_.]*(Error|Exception)\s*$"), "it is only an exception's name"),
)


def unreadable(reason: str) -> str | None:
    """Why a rejection reason would not help a coordinator, or ``None`` if it would."""
    text = reason.strip()
    if len(text) < 8:
        return "it is empty or too short to say what is wrong"
    if len(text) > 2000:
        return f"it is {len(text)} characters long; say what is wrong in a sentence or two"
    for pattern, why in _UNREADABLE:
        if pattern.search(text):
            return why
    return None


class ContractKit:
    """Runs the contract's checks for one harness class in one working folder.

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

    # ------------------------------------------------------------------ plumbing
    @property
    def connector_type(self) -> str:
        return self.harness_class.connector_type

    @property
    def harness(self) -> ConnectorHarness:
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
        built = spec.factory(context)
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
        for connector in self._connectors:
            with suppress(Exception):  # closing twice may fail; the check is over
                connector.close()
        self._connectors.clear()
        if self._harness is not None:
            self._harness.close()
            self._harness = None

    # ---------------------------------------------------------- registration
    def check_registration(self) -> None:
        """The plugin is installed, loads through the entry point and offers a sane spec."""
        info = self.plugin()
        points = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
        if info.name not in points:
            raise ContractViolation(
                f"plugin {info.name!r} was not found through the {ENTRY_POINT_GROUP!r} entry "
                "points")
        if info.distribution is None:
            raise ContractViolation(
                f"plugin {info.name!r} belongs to no installed distribution: install the "
                "package (pip install -e .) rather than putting it on sys.path")
        for name, caller in vars(self.registry.manager.hook).items():
            if not caller.has_spec():
                for impl in caller.get_hookimpls():
                    if impl.plugin_name == info.name:
                        raise ContractViolation(
                            f"plugin {info.name!r} implements {name!r}, which is not a "
                            "billing-hub hook (misspelt? see hub/contract/hookspecs.py)")
        spec = self.spec()
        if not spec.description.strip():
            raise ContractViolation(f"connector {spec.name!r} has an empty description")
        if not (isinstance(spec.config_model, type) and issubclass(spec.config_model, BaseModel)):
            raise ContractViolation(
                f"connector {spec.name!r}: config_model must be a pydantic model class")
        if not spec.entities:
            raise ContractViolation(f"connector {spec.name!r} declares no entity")
        repeated = [e for e, n in Counter(s.entity for s in spec.entities).items() if n > 1]
        if repeated:
            raise ContractViolation(
                f"connector {spec.name!r} declares {', '.join(repeated)} more than once")
        unknown = [s.entity for s in spec.entities if s.entity not in ENTITY_MODELS]
        if unknown:
            raise ContractViolation(
                f"connector {spec.name!r} declares {', '.join(unknown)}, not canonical "
                f"entities (known: {', '.join(sorted(ENTITY_MODELS))})")

    def check_capabilities(self) -> None:
        """What the spec declares is what the connector class implements, and no more."""
        spec = self.spec()
        for entity in self.entities():
            support = self.support(entity)
            if support.pull:
                self.seed(entity)
        connector = self.connector()
        cls = type(connector).__name__
        implemented = type(connector).implements()
        for capability, method in (("push", "push"), ("webhook", "verify_webhook")):
            declared = [e.entity for e in spec.entities if getattr(e, capability)]
            if declared and capability not in implemented:
                raise ContractViolation(
                    f"{spec.name!r} declares {capability} for {', '.join(declared)} but {cls} "
                    f"does not override Connector.{method}")
            if capability in implemented and not declared:
                raise ContractViolation(
                    f"{cls} overrides Connector.{method} but {spec.name!r} declares {capability} "
                    f"for no entity: set EntitySupport({capability}=True) where it works, or "
                    "remove the method")
        for support in spec.entities:
            if not support.pull and (support.incremental or support.webhook):
                what = "incremental" if support.incremental else "webhook"
                raise ContractViolation(
                    f"{spec.name!r} declares {what} for {support.entity} without pull: "
                    f"{'an incremental read' if what == 'incremental' else 'a webhook hint'} "
                    "is a pull")
        pulled = {e.entity for e in spec.entities if e.pull}
        stray = [e for e in connector.entities() if e not in pulled]
        if stray:
            raise ContractViolation(
                f"{cls}.entities() lists {', '.join(stray)}, which {spec.name!r} does not "
                "declare for pull")

    # ---------------------------------------------------------------- pulling
    def check_full_pull(self, entity: str) -> None:
        """A full pull returns every record exactly once, over several pages."""
        self.require(entity, "pull")
        seeded = self.seed(entity)
        pages = self.pull(entity)
        got = [rec for page in pages for rec in page.records]
        rejected = [rej for page in pages for rej in page.rejected]
        if rejected:
            raise ContractViolation(
                f"valid seeded records were rejected: {'; '.join(str(r) for r in rejected[:3])}")
        twice = {i: n for i, n in Counter(_ids(got)).items() if n > 1}
        if twice:
            raise ContractViolation(
                f"a full pull returned {_show(twice)} more than once (pages overlap: "
                "is the cursor after a page taken before its last record?)")
        missing, extra = set(seeded) - set(_ids(got)), set(_ids(got)) - set(seeded)
        if missing:
            raise ContractViolation(
                f"a full pull of {len(seeded)} seeded records missed {_show(missing)} "
                "(a page boundary skipped?)")
        if extra:
            raise ContractViolation(
                f"a full pull returned records nobody seeded: {_show(extra)} (does the "
                "external_id differ from the id harness.seed returned?)")
        if sum(1 for p in pages if p.records) < 2:
            raise ContractViolation(
                f"all {len(seeded)} records came in one page: harness.config() must ask the "
                f"connector for pages of {self.harness_class.page_size} records, so that "
                "paging and cursors are tested")
        if pages[-1].cursor is None:
            raise ContractViolation(
                "the last page of a pull has no cursor: the next sync could not start after it")

    def check_canonical(self, entity: str) -> None:
        """Pulled records are the entity's canonical model, valid, traceable to their payload."""
        self.require(entity, "pull")
        self.seed(entity)
        model = ENTITY_MODELS[entity]
        for page in self.pull(entity):
            for record in page.records:
                label = f"{entity} {record.external_id!r}"
                if not isinstance(record, model):
                    raise ContractViolation(
                        f"{label} is a {type(record).__name__}, not hub.models.{model.__name__}")
                if record.source != INSTANCE:
                    raise ContractViolation(
                        f"{label} has source {record.source!r}; it must be the connector "
                        "instance's name (Connector.name)")
                try:
                    again = model.model_validate(record.model_dump())
                except ValidationError as exc:
                    raise ContractViolation(
                        f"{label} does not validate as {model.__name__} (built with "
                        f"model_construct?): {exc}") from None
                if again != record:
                    raise ContractViolation(
                        f"{label} changes when validated again: build records through the "
                        "model, not model_construct")
                if not isinstance(record.raw, dict) or not record.raw:
                    raise ContractViolation(
                        f"{label} keeps no raw payload: put what the system sent in raw, so "
                        "every figure can be traced back")
                try:
                    orjson.dumps(record.raw, default=str)
                except TypeError as exc:
                    raise ContractViolation(f"{label}: raw is not JSON: {exc}") from None
                modified = record.source_modified
                if modified is not None and modified.utcoffset() is None:
                    raise ContractViolation(
                        f"{label}: source_modified {modified} has no time zone; give it the "
                        "system's zone (or UTC)")

    def check_resume(self, entity: str) -> None:
        """A pull resumed from any page's cursor ends with the same records."""
        self.require(entity, "pull")
        seeded = set(self.seed(entity))
        pages = self.pull(entity)
        full = {r.external_id: _dump(r) for p in pages for r in p.records}
        if not any(p.cursor for p in pages):
            raise ContractViolation("no page of a pull carries a cursor: nothing to resume from")
        before: set[str] = set()
        for number, page in enumerate(pages, start=1):
            before |= set(_ids(page.records))
            if page.cursor is None:
                continue
            resumed = [r for p in self.pull(entity, page.cursor) for r in p.records]
            after = set(_ids(resumed))
            lost = seeded - before - after
            if lost:
                raise ContractViolation(
                    f"resumed from the cursor of page {number} of {len(pages)}, the pull never "
                    f"returned {_show(lost)}: records after that page were lost")
            strangers = after - seeded
            if strangers:
                raise ContractViolation(
                    f"resumed from the cursor of page {number}, the pull returned unknown "
                    f"records {_show(strangers)}")
            for record in resumed:
                if _dump(record) != full.get(record.external_id):
                    raise ContractViolation(
                        f"resumed from the cursor of page {number}, {entity} "
                        f"{record.external_id!r} differs from the one a full pull returned")

    def check_incremental(self, entity: str) -> None:
        """After a change in the system, a pull from the last cursor returns the change."""
        self.require(entity, "incremental")
        seeded = self.seed(entity)
        pages = self.pull(entity)
        full = {r.external_id: _dump(r) for p in pages for r in p.records}
        cursor = next((p.cursor for p in reversed(pages) if p.cursor is not None), None)
        if cursor is None:
            raise ContractViolation("a full pull ended without a cursor to pull changes after")
        changed = self.harness.change(entity)
        if changed not in full:
            raise ContractViolation(
                f"harness.change({entity!r}) returned {changed!r}, which the full pull did "
                "not return")
        got = [r for p in self.pull(entity, cursor) for r in p.records]
        ids = _ids(got)
        if changed not in ids:
            raise ContractViolation(
                f"after {entity} {changed!r} changed, a pull from the last cursor did not "
                f"return it (it returned {len(ids)} records)")
        record = next(r for r in got if r.external_id == changed)
        now, then = _dump(record), full[changed]
        if {k: v for k, v in now.items() if k != "raw"} == {
                k: v for k, v in then.items() if k != "raw"}:
            raise ContractViolation(
                f"the incremental pull returned {entity} {changed!r} as it was before the "
                "change (a cached copy?), or harness.change() does not alter canonical fields")
        if len(set(ids)) >= len(seeded):
            raise ContractViolation(
                f"one change, and the incremental pull returned all {len(set(ids))} records: "
                "it reads everything again (declare incremental=False if that is the design)")
        strangers = set(ids) - set(seeded)
        if strangers:
            raise ContractViolation(f"the incremental pull returned unknown {_show(strangers)}")

    def check_malformed(self, entity: str) -> None:
        """A payload that cannot be mapped is rejected with a readable reason; the rest arrive."""
        self.require(entity, "pull")
        seeded = self.seed(entity)
        self.harness.add_malformed(entity)
        try:
            pages = self.pull(entity)
        except ContractViolation:
            raise
        except Exception as exc:
            raise ContractViolation(
                f"the pull raised {type(exc).__name__} on a malformed payload: yield it in "
                "Page.rejected as RecordRejected(reason, raw=...) and go on") from exc
        rejected = [rej for page in pages for rej in page.rejected]
        got = _ids(r for p in pages for r in p.records)
        if not rejected:
            strangers = set(got) - set(seeded)
            where = (f"it came through as {_show(strangers)}" if strangers
                     else "it vanished without a trace")
            raise ContractViolation(
                f"the malformed payload was not rejected: {where}. Map each payload inside "
                "try/except and yield RecordRejected for the ones that fail")
        if len(rejected) > 1:
            raise ContractViolation(
                f"one malformed payload, {len(rejected)} rejections: "
                f"{'; '.join(r.reason for r in rejected[:3])}")
        rejection = rejected[0]
        if not isinstance(rejection, RecordRejected):
            raise ContractViolation(
                f"Page.rejected holds a {type(rejection).__name__}, not RecordRejected")
        why = unreadable(rejection.reason)
        if why:
            raise ContractViolation(
                f"the rejection's reason is not readable ({why}): {rejection.reason[:300]!r}")
        if not rejection.raw:
            raise ContractViolation(
                "the rejection carries no raw payload: keep what the system sent, so a person "
                "can see it in the quarantine")
        if rejection.entity not in ("", entity):
            raise ContractViolation(
                f"the rejection says entity {rejection.entity!r}, not {entity!r}")
        missing = set(seeded) - set(got)
        if missing:
            raise ContractViolation(
                f"after the malformed payload, {_show(missing)} never arrived: one bad payload "
                "must not stop the pull")
        connector = self.connector()
        if _overrides(connector, "parse_raw"):
            try:
                connector.parse_raw(entity, _stored(rejection.raw), rejection.location)
            except RecordRejected:
                pass
            except Exception as exc:
                raise ContractViolation(
                    f"parse_raw raised {type(exc).__name__} on the quarantined payload; it must "
                    "raise RecordRejected while the payload still does not map") from exc
            else:
                raise ContractViolation(
                    "parse_raw accepted the quarantined payload that pull rejected")

    def check_reread(self, entity: str) -> None:
        """A stored payload maps again to the same record (``billing-hub quarantine retry``)."""
        self.require(entity, "pull")
        self.seed(entity)
        connector = self.connector()
        if not _overrides(connector, "parse_raw"):
            raise CheckSkipped(
                f"{self.connector_type} does not implement Connector.parse_raw, so "
                "`billing-hub quarantine retry` cannot map a fixed payload again")
        for page in self.pull(entity):
            for record in page.records:
                location = page.locations.get(record.external_id, "")
                try:
                    again = connector.parse_raw(entity, _stored(record.raw), location)
                except RecordRejected as exc:
                    raise ContractViolation(
                        f"parse_raw refused the stored payload of {entity} "
                        f"{record.external_id!r} that pull accepted: {exc}") from None
                if _dump(again) | {"raw": None} != _dump(record) | {"raw": None}:
                    raise ContractViolation(
                        f"parse_raw mapped the stored payload of {entity} "
                        f"{record.external_id!r} to a different record than pull did")

    # ---------------------------------------------------------------- pushing
    def check_push_idempotent(self, entity: str) -> None:
        """The same change pushed twice with one idempotency key makes one record."""
        support = self.require(entity, "push")
        record = self.harness.new_record(entity)
        model = ENTITY_MODELS[entity]
        if not isinstance(record, model):
            raise ContractViolation(
                f"harness.new_record({entity!r}) returned a {type(record).__name__}, "
                f"not a {model.__name__}")
        if support.pull:
            self.seed(entity)
        before = self._held(entity, support)
        key = idempotency_key(INSTANCE, PushOperation.CREATE.value, record)
        change = PushChange(PushOperation.CREATE, record, key)
        first = self._push_one(change)
        if first.status is not PushStatus.CREATED or not first.external_id:
            raise ContractViolation(
                f"pushing a new {entity} answered {first.status.value} "
                f"{first.reason or first.external_id!r}; expected created with its new id")
        # A retry comes after a crash or a timeout: from a new connector object.
        second = self._push_one(change)
        if second.status not in (PushStatus.CREATED, PushStatus.UNCHANGED):
            raise ContractViolation(
                f"pushing the same change again with the same key answered "
                f"{second.status.value} {second.reason!r}; expected the first answer "
                "(created or unchanged)")
        if second.external_id != first.external_id:
            raise ContractViolation(
                f"the same change pushed twice with key {key!r} made two records, "
                f"{first.external_id!r} and {second.external_id!r}: send the key to the "
                "system (Idempotency-Key, requestid) so that it answers a repeat with the "
                "first result")
        after = self._held(entity, support)
        new = after - before
        if new != {first.external_id}:
            raise ContractViolation(
                f"after pushing one change twice the system holds {len(new)} new {entity} "
                f"records ({_show(new)}); expected exactly {first.external_id!r}")

    def _push_one(self, change: PushChange) -> PushResult:
        results = self.connector().push([change])
        if len(results) != 1:
            raise ContractViolation(f"push of one change returned {len(results)} results")
        result = results[0]
        if not isinstance(result, PushResult):
            raise ContractViolation(f"push returned a {type(result).__name__}, not PushResult")
        if result.idempotency_key != change.idempotency_key:
            raise ContractViolation(
                "a push result's idempotency_key is not the change's: results are matched "
                "to changes by it")
        return result

    def _held(self, entity: str, support: EntitySupport) -> set[str]:
        if support.pull:
            return {r.external_id for p in self.pull(entity) for r in p.records}
        return set(self.harness.pushed_ids(entity))

    # --------------------------------------------------------------- webhooks
    def _delivery(self, entity: str, sent_at: datetime) -> WebhookDelivery:
        delivery = self.harness.webhook_delivery(entity, sent_at=sent_at)
        if not isinstance(delivery, WebhookDelivery):
            raise ContractViolation(
                "harness.webhook_delivery must return a hub.contract.connector.WebhookDelivery")
        return delivery

    def _verify(self, connector: Connector, delivery: WebhookDelivery,
                guard: MemoryReplayGuard, what: str) -> WebhookReceipt:
        try:
            receipt = connector.verify_webhook(delivery, guard)
        except WebhookSignatureError:
            raise
        except Exception as exc:
            raise ContractViolation(
                f"{what}: verify_webhook raised {type(exc).__name__}, not "
                "WebhookSignatureError (verify the signature before reading the body)") from exc
        if not isinstance(receipt, WebhookReceipt):
            raise ContractViolation(
                f"verify_webhook returned {type(receipt).__name__}, not WebhookReceipt")
        return receipt

    def _refused(self, connector: Connector, delivery: WebhookDelivery,
                 guard: MemoryReplayGuard, what: str) -> None:
        try:
            receipt = self._verify(connector, delivery, guard, what)
        except WebhookSignatureError as exc:
            if not str(exc).strip():
                raise ContractViolation(
                    f"{what} was refused with an empty message; say which check failed"
                ) from None
            return
        if receipt.duplicate:
            raise ContractViolation(
                f"{what} was answered as a duplicate: its id was looked up before its signature "
                "was checked (a refused delivery must not be remembered as seen)")
        raise ContractViolation(f"{what} was accepted (receipt {receipt!r})")

    def _accepted(self, connector: Connector, delivery: WebhookDelivery,
                  guard: MemoryReplayGuard, entity: str, what: str) -> WebhookReceipt:
        try:
            receipt = self._verify(connector, delivery, guard, what)
        except WebhookSignatureError as exc:
            raise ContractViolation(f"{what} was refused: {exc}") from None
        if receipt.duplicate:
            raise ContractViolation(f"{what} was taken for a duplicate: {receipt!r}")
        if not receipt.delivery_id:
            raise ContractViolation(f"{what} gave a receipt without a delivery_id")
        if not any(isinstance(h, ChangeHint) and h.entity == entity for h in receipt.hints):
            raise ContractViolation(
                f"{what} was accepted but gave no ChangeHint for {entity}: {receipt!r}")
        return receipt

    def check_webhook_signature(self, entity: str) -> None:
        """A delivery altered after signing, or unsigned, is refused; the genuine one is not."""
        self.require(entity, "webhook")
        connector = self.connector()
        guard = MemoryReplayGuard()
        now = datetime.now(UTC)
        self._accepted(connector, self._delivery(entity, now), guard, entity,
                       "a correctly signed delivery")
        genuine = self._delivery(entity, now)
        self._refused(connector, replace(genuine, body=genuine.body + b" "), guard,
                      "a delivery whose body was changed after signing")
        self._refused(connector, replace(genuine, headers={}), guard,
                      "a delivery without its signature headers")
        self._accepted(connector, genuine, guard, entity,
                       "the genuine delivery, after forged copies of it were refused, "
                       "(a refused delivery must not be remembered as seen)")

    def check_webhook_replay(self, entity: str) -> None:
        """A delivery received again is refused or taken as a duplicate, never acted on twice."""
        self.require(entity, "webhook")
        guard = MemoryReplayGuard()
        delivery = self._delivery(entity, datetime.now(UTC))
        first = self._accepted(self.connector(), delivery, guard, entity,
                               "a correctly signed delivery")
        what = "the same delivery received a second time (a replay)"
        try:  # a new connector object: the guard, not the object, remembers
            again = self._verify(self.connector(), delivery, guard, what)
        except WebhookSignatureError:
            return
        if not again.duplicate or again.hints:
            raise ContractViolation(
                f"{what} was acted on again ({again!r}): ask replays.first_time(id) and answer "
                "a delivery seen before with WebhookReceipt(id, duplicate=True)")
        if again.delivery_id != first.delivery_id:
            raise ContractViolation(
                f"{what} got delivery_id {again.delivery_id!r}, the first time "
                f"{first.delivery_id!r}")

    def check_webhook_stale(self, entity: str) -> None:
        """A delivery signed long ago is refused, even by a guard that never saw it."""
        self.require(entity, "webhook")
        if not self.harness_class.signed_timestamps:
            raise CheckSkipped(
                f"{self.connector_type}'s deliveries sign no timestamp "
                "(signed_timestamps=False); replays are caught by the replay guard alone")
        delivery = self._delivery(entity, datetime.now(UTC) - STALE)
        self._refused(self.connector(), delivery, MemoryReplayGuard(),
                      "a correctly signed delivery from a day ago")


def _overrides(connector: Connector, method: str) -> bool:
    return getattr(type(connector), method) is not getattr(Connector, method)


def _stored(raw: Any) -> Any:
    """``raw`` as the store gives it back (through JSON), for ``parse_raw``."""
    return orjson.loads(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS, default=str))


CHECKS: Sequence[str] = (
    "check_registration", "check_capabilities", "check_full_pull", "check_canonical",
    "check_resume", "check_incremental", "check_malformed", "check_reread",
    "check_push_idempotent", "check_webhook_signature", "check_webhook_replay",
    "check_webhook_stale",
)
