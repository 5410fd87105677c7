"""The contract kit itself: it passes a sound connector and catches each way to break the contract.

The connector here keeps its "remote system" in memory and can be told to
misbehave (``faults``); every check is run against the sound version and
against the fault it exists to catch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ValidationError

from hub.contract.connector import (
    Connector,
    ConnectorContext,
    ConnectorSpec,
    EntitySupport,
    explain_invalid,
)
from hub.contract.hookspecs import hookimpl
from hub.contract.page import Page
from hub.contract.pushing import PushChange, PushResult, PushStatus
from hub.contract.webhooks import ChangeHint, ReplayGuard, WebhookDelivery, WebhookReceipt
from hub.errors import RecordRejected, WebhookSignatureError
from hub.models import CanonicalRecord, Customer
from hub.plugins import load_plugins
from hub.testing import CheckSkipped, ConnectorHarness, ContractKit, ContractViolation
from hub.testing.checks import (
    CHECKS,
    CapabilitiesCheck,
    EntityCheck,
    FullPullCheck,
    unreadable,
)

SECRET = b"whsec_kit"


@dataclass
class Remote:
    """The memory system: customers in change order, idempotency keys, deliveries sent."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    seq: int = 0
    events: int = 0

    def put(self, row: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        self.rows = [r for r in self.rows if r["id"] != row["id"]]
        self.rows.append({**row, "seq": self.seq})
        return row


REMOTES: dict[str, Remote] = {}


class MemoryConfig(BaseModel):
    remote: str
    page_size: int = 3
    faults: list[str] = []


class MemoryConnector(Connector):
    """Customers from a :class:`Remote`; ``faults`` make it break one rule each."""

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        assert isinstance(context.config, MemoryConfig)
        self.config = context.config
        self.remote = REMOTES[self.config.remote]
        self.faults = set(self.config.faults)

    def entities(self) -> Sequence[str]:
        return ["customer"]

    def _map(self, row: dict[str, Any]) -> CanonicalRecord | RecordRejected:
        raw = {k: v for k, v in row.items() if k != "seq"}
        try:
            return Customer(source=self.name, external_id=row["id"], name=row["name"], raw=raw)
        except ValidationError as exc:
            if "crash_on_bad" in self.faults:
                raise
            reason = str(exc) if "raw_reason" in self.faults else explain_invalid(exc)
            return RecordRejected(reason, raw=raw, entity="customer", external_id=row["id"])

    def pull(self, entity: str, cursor: str | None) -> Iterator[Page]:
        after = 0 if cursor is None or "ignore_cursor" in self.faults else int(cursor)
        size = len(self.remote.rows) if "one_page" in self.faults else self.config.page_size
        first = True
        while True:  # each page asked for after the previous page's cursor, as from an API
            chunk = [r for r in self.remote.rows if r["seq"] > after][:size]
            if not chunk:
                if first:
                    yield Page([], cursor=str(after))
                return
            mapped = [self._map(r) for r in chunk]
            records = [m for m in mapped if isinstance(m, CanonicalRecord)]
            if "drop_first_of_later_pages" in self.faults and not first:
                records = records[1:]
            after = chunk[-1]["seq"]
            if "overlap" in self.faults and len(chunk) > 1:
                after = chunk[-2]["seq"]
            if "resume_skips" in self.faults:
                after += 1
            yield Page(records, [m for m in mapped if isinstance(m, RecordRejected)],
                       cursor=str(after))
            first = False

    def push(self, changes: Sequence[PushChange]) -> list[PushResult]:
        results = []
        for change in changes:
            key = change.idempotency_key
            if key in self.remote.keys and "ignore_keys" not in self.faults:
                results.append(PushResult(key, PushStatus.UNCHANGED, self.remote.keys[key]))
                continue
            assert isinstance(change.record, Customer)
            new_id = f"c{len(self.remote.rows) + 100}"
            self.remote.put({"id": new_id, "name": change.record.name})
            self.remote.keys[key] = new_id
            results.append(PushResult(key, PushStatus.CREATED, new_id))
        return results

    def verify_webhook(self, delivery: WebhookDelivery, replays: ReplayGuard) -> WebhookReceipt:
        if "remember_first" in self.faults:  # the id taken before the signature is checked
            event_id = json.loads(delivery.body)["id"]
            if not replays.first_time(event_id):
                return WebhookReceipt(event_id, duplicate=True)
        header = delivery.header("X-Signature") or ""
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        if "no_verify" not in self.faults:
            if "t" not in parts or "v1" not in parts:
                raise WebhookSignatureError("no signature")
            expected = hmac.new(SECRET, parts["t"].encode() + b"." + delivery.body,
                                hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, parts["v1"]):
                raise WebhookSignatureError("the signature does not match the body")
        if "no_tolerance" not in self.faults:
            age = delivery.received_at.timestamp() - int(parts.get("t", 0))
            if abs(age) > 300:
                raise WebhookSignatureError(f"signed {age:.0f} s ago, more than 300 s")
        event = json.loads(delivery.body)
        if "no_replay" not in self.faults and "remember_first" not in self.faults and (
                not replays.first_time(event["id"])):
            return WebhookReceipt(event["id"], duplicate=True)
        return WebhookReceipt(event["id"], (ChangeHint("customer", event["customer"]),))


class PushlessConnector(MemoryConnector):
    """The same connector class shape, for specs that do not declare push or webhooks."""

    push = Connector.push  # type: ignore[assignment]
    verify_webhook = Connector.verify_webhook  # type: ignore[assignment]


class MemoryHarness(ConnectorHarness):
    connector_type = "memory"
    faults: tuple[str, ...] = ()

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.key = str(workdir)
        self.remote = REMOTES[self.key] = Remote()

    def close(self) -> None:
        REMOTES.pop(self.key, None)

    def config(self) -> Mapping[str, Any]:
        return {"remote": self.key, "page_size": self.page_size, "faults": list(self.faults)}

    def seed(self, entity: str, count: int) -> list[str]:
        return [self.remote.put({"id": f"c{i}", "name": f"Customer {i}"})["id"]
                for i in range(count)]

    def add_malformed(self, entity: str) -> None:
        self.remote.put({"id": "c-bad", "name": ""})

    def change(self, entity: str) -> str:
        self.remote.put({"id": "c1", "name": "Customer 1 (renamed)"})
        return "c1"

    def new_record(self, entity: str) -> CanonicalRecord:
        return Customer(source="hub", external_id="new-1", name="Pushed Customer")

    def webhook_delivery(self, entity: str, *, sent_at: datetime) -> WebhookDelivery:
        self.remote.events += 1
        body = json.dumps({"id": f"evt_{self.remote.events}", "customer": "c1"}).encode()
        stamp = str(int(sent_at.timestamp()))
        signature = hmac.new(SECRET, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return WebhookDelivery({"X-Signature": f"t={stamp},v1={signature}"}, body)


def _kit(tmp_path: Path, *faults: str, support: EntitySupport | None = None,
         connector: type[Connector] = MemoryConnector) -> ContractKit:
    entity = support or EntitySupport("customer", pull=True, push=True, incremental=True,
                                      webhook=True)

    class Plugin:
        @hookimpl
        def hub_connectors(self) -> list[ConnectorSpec]:
            return [ConnectorSpec(name="memory", description="customers in memory",
                                  config_model=MemoryConfig, entities=(entity,),
                                  factory=connector)]

    harness = type("Harness", (MemoryHarness,), {"faults": faults})
    registry = load_plugins([("memory", Plugin())], entry_points_group="billing_hub.none")
    return ContractKit(harness, tmp_path, registry=registry)


@pytest.fixture
def make_kit(tmp_path: Path) -> Iterator[Any]:
    kits: list[ContractKit] = []

    def make(*faults: str, **options: Any) -> ContractKit:
        kit = _kit(tmp_path / str(len(kits)), *faults, **options)
        kits.append(kit)
        return kit

    yield make
    for kit in kits:
        kit.close()


ENTITY_CHECKS = [c for c in CHECKS if c not in ("check_registration", "check_capabilities",
                                                 "check_send_once", "check_disputes")]
"""(``check_send_once`` is for invoices and ``check_disputes`` for disputes; the memory
connector keeps customers: the Stripe and QuickBooks contracts run the first, the Stripe
contract the second.)"""


@pytest.mark.parametrize("check", ENTITY_CHECKS)
def test_a_sound_connector_passes_every_check(make_kit: Any, check: str) -> None:
    kit = make_kit()
    if check == "check_reread":
        with pytest.raises(CheckSkipped, match="parse_raw"):
            getattr(kit, check)("customer")
        return
    getattr(kit, check)("customer")


def test_a_sound_connector_declares_its_capabilities_truthfully(make_kit: Any) -> None:
    make_kit().check_capabilities()


@pytest.mark.parametrize(("fault", "check", "message"), [
    ("overlap", "check_full_pull", "more than once"),
    ("drop_first_of_later_pages", "check_full_pull", "missed"),
    ("one_page", "check_full_pull", "came in one page"),
    ("resume_skips", "check_resume", "were lost"),
    ("ignore_cursor", "check_incremental", "reads everything again"),
    ("crash_on_bad", "check_malformed", "raised ValidationError"),
    ("raw_reason", "check_malformed", "not readable"),
    ("ignore_keys", "check_push_idempotent", "made two records"),
    ("no_verify", "check_webhook_signature", "changed after signing was accepted"),
    ("remember_first", "check_webhook_signature", "must not be remembered"),
    ("no_replay", "check_webhook_replay", r"a second time \(a replay\) was acted on again"),
    ("no_tolerance", "check_webhook_stale", "from a day ago was accepted"),
])
def test_each_fault_breaks_the_check_made_for_it(
    make_kit: Any, fault: str, check: str, message: str
) -> None:
    with pytest.raises(ContractViolation, match=message):
        getattr(make_kit(fault), check)("customer")


def test_a_check_for_an_undeclared_capability_is_skipped_with_the_reason(make_kit: Any) -> None:
    kit = make_kit(support=EntitySupport("customer"), connector=PushlessConnector)
    kit.check_capabilities()
    for check in ("check_incremental", "check_push_idempotent", "check_webhook_signature",
                  "check_webhook_replay", "check_webhook_stale"):
        with pytest.raises(CheckSkipped, match=r"memory does not declare \w+ for this entity"):
            getattr(kit, check)("customer")


def test_implementing_push_without_declaring_it_is_a_violation(make_kit: Any) -> None:
    kit = make_kit(support=EntitySupport("customer", incremental=True))
    with pytest.raises(ContractViolation, match=r"overrides Connector\.push but 'memory' "
                                                r"declares push for no entity"):
        kit.check_capabilities()


def test_declaring_push_without_implementing_it_is_a_violation(make_kit: Any) -> None:
    kit = make_kit(support=EntitySupport("customer", push=True), connector=PushlessConnector)
    with pytest.raises(ContractViolation, match="declares push for customer but "
                                                "PushlessConnector does not override"):
        kit.check_capabilities()


def test_a_plugin_that_is_not_installed_fails_registration_with_what_to_do(
    make_kit: Any,
) -> None:
    with pytest.raises(ContractViolation, match="not found through the 'billing_hub' entry"):
        make_kit().check_registration()


def test_a_connector_type_nobody_offers_fails_with_the_installed_ones(tmp_path: Path) -> None:
    harness = type("Harness", (MemoryHarness,), {"connector_type": "acme"})
    kit = ContractKit(harness, tmp_path)
    with pytest.raises(ContractViolation, match=r"no installed plugin offers connector type "
                                                r"'acme' \(installed types: .*csv"):
        kit.check_registration()


@pytest.mark.parametrize(("reason", "readable"), [
    ("total: 'twelve' is not a number", True),
    ("", False),
    ("ValueError", False),
    ("1 validation error for Customer\nname\n  String should have at least 1 character "
     "[type=string_too_short]\n    For further information visit "
     "https://errors.pydantic.dev/2.7/v/string_too_short", False),
    ("bad row <dict object at 0x7f00deadbeef>", False),
])
def test_a_rejection_reason_is_judged_on_what_a_coordinator_can_read(
    reason: str, readable: bool
) -> None:
    assert (unreadable(reason) is None) is readable


def test_the_built_in_csv_connector_registers_through_the_entry_point(tmp_path: Path) -> None:
    class Csv(MemoryHarness):
        connector_type = "csv"
        plugin_name = "csv"

    kit = ContractKit(Csv, tmp_path)
    kit.check_registration()
    assert kit.plugin().distribution == "billing-hub"
    assert kit.entities() == ["customer", "invoice", "payment", "bank_transaction"]



def test_run_takes_the_check_class_as_its_check_method_does(make_kit: Any) -> None:
    make_kit().run(FullPullCheck, "customer")
    make_kit().run(CapabilitiesCheck)
    with pytest.raises(ContractViolation, match="more than once"):
        make_kit("overlap").run(FullPullCheck, "customer")


def test_run_skips_an_entity_check_before_it_runs_for_an_undeclared_capability(
    make_kit: Any,
) -> None:
    class Watched(EntityCheck):
        """Records that it ran."""

        name = "watched"
        test = "test_watched"
        requires = "push"
        ran: ClassVar[list[str]] = []

        def run(self, entity: str) -> None:
            self.ran.append(entity)

    kit = make_kit(support=EntitySupport("customer"), connector=PushlessConnector)
    with pytest.raises(CheckSkipped, match=r"memory does not declare push for this entity "
                                           r"\(EntitySupport\.push=False\)"):
        kit.run(Watched, "customer")
    assert Watched.ran == []
    make_kit().run(Watched, "customer")
    assert Watched.ran == ["customer"]


def test_run_needs_an_entity_for_an_entity_check_and_none_for_a_connector_check(
    make_kit: Any,
) -> None:
    with pytest.raises(TypeError, match="per entity"):
        make_kit().run(FullPullCheck)
    with pytest.raises(TypeError, match="whole connector"):
        make_kit().run(CapabilitiesCheck, "customer")


def test_a_harness_whose_system_signs_no_time_skips_the_stale_delivery_check(
    make_kit: Any,
) -> None:
    kit = make_kit("no_tolerance")
    kit.harness_class = type("Unsigned", (kit.harness_class,), {"signed_timestamps": False})
    with pytest.raises(CheckSkipped, match=r"memory's deliveries sign no timestamp "
                                           r"\(signed_timestamps=False\)"):
        kit.check_webhook_stale("customer")


def test_declaring_send_without_implementing_it_is_a_violation(make_kit: Any) -> None:
    kit = make_kit(support=EntitySupport("customer", push=True, webhook=True, send=True))
    with pytest.raises(ContractViolation, match="declares send for customer but "
                                                r"\w+ does not override Connector\.send_invoice"):
        kit.check_capabilities()


def test_send_is_declared_by_invoices_only(make_kit: Any) -> None:
    class Sending(PushlessConnector):
        def send_invoice(self, delivery: Any) -> Any:
            raise AssertionError("never called by the check")

    kit = make_kit(support=EntitySupport("customer", send=True), connector=Sending)
    with pytest.raises(ContractViolation, match="declares send for customer: only invoices"):
        kit.check_capabilities()
