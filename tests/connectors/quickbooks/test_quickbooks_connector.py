"""The QuickBooks Online connector against the QuickBooks simulator, through the real SDKs.

python-quickbooks and intuit-oauth talk HTTPS to the simulator, trusting its
throw-away CA through ``REQUESTS_CA_BUNDLE``: the whole OAuth refresh, the
query language, CDC and faults are the real clients' traffic.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from intuitlib.client import AuthClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from hub.errors import ConfigError, HubError
from hub.runtime import Hub
from hub.secrets import RedactingFilter
from hub.store import cursors as cursors_module
from hub.store.credentials import StoreVault
from hub.store.schema import credentials, cursors
from hub.sync.engine import Progress, SyncEngine
from plugins.quickbooks import connector as connector_module
from plugins.quickbooks import mapping
from plugins.quickbooks.api import QuickBooksApi
from plugins.quickbooks.config import QBO_NAMES, QuickBooksConfig
from plugins.quickbooks.simulator import Faults, QboSimulatorServer
from plugins.quickbooks.tokens import TokenKeeper
from tests.support.hub import hub, stored
from tests.support.qbo import SECRET_KEY, config_body, section

ENTITIES = ("customer", "invoice", "payment", "credit_note")


def expected(server: QboSimulatorServer, entity: str) -> dict[str, dict[str, Any]]:
    """external_id -> canonical data of what the simulator holds, as the mapping reads it."""
    out = {}
    for obj in server.sim.all(QBO_NAMES[entity]):
        record = mapping.MAPPERS[entity](obj, "books", "USD")
        if record is not None:
            out[record.external_id] = record.model_dump(mode="json", exclude={"raw"})
    return out


def assert_mirrors(server: QboSimulatorServer, engine: Engine) -> None:
    for entity in ENTITIES:
        have, want = stored(engine, entity, "books"), expected(server, entity)
        assert have.keys() == want.keys(), entity
        for key in have:
            assert have[key] == want[key], (entity, key)


def kept_token(engine: Engine, config: Any) -> str:
    """The refresh token the next sync signs in with (the vault's newest, for the configured)."""
    vault = StoreVault(engine, "books", config.store.secret_key)
    return TokenKeeper(SecretStr(os.environ["QBO_REFRESH_TOKEN"]), vault).current()


def _hub(tmp_path: Path, store_url: str, server: QboSimulatorServer, **extra: Any) -> Any:
    """tests.support.hub writes ``[store] url``; the secret key goes right under it."""
    return hub(tmp_path, store_url, config_body(server, **extra))


def test_full_then_incremental_sync_mirrors_the_company(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str) -> None:
    with _hub(tmp_path, store_url, qbo) as (sync, engine, _config):
        first = sync.sync("books")
        assert first.status == "succeeded", first.error
        assert_mirrors(qbo, engine)
        invoices = len(expected(qbo, "invoice"))
        assert invoices == 25 and first.counts["invoice"].created == 25
        assert first.counts["payment"].created == len(expected(qbo, "payment")) > 0

        second = sync.sync("books")
        for entity in ENTITIES:
            c = second.counts[entity]
            assert (c.created, c.updated, c.quarantined) == (0, 0, 0), entity


def test_changes_and_deletions_arrive_through_change_data_capture(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str) -> None:
    sim = qbo.sim
    with _hub(tmp_path, store_url, qbo) as (sync, engine, _config):
        assert sync.sync("books").status == "succeeded"
        invoice = sim.all("Invoice")[0]
        sim.clock.advance(60)
        sim.update("Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"],
                               "sparse": True, "DueDate": "2027-01-31"})
        gone = sim.create("Customer", {"DisplayName": "Short-lived Ltd"})
        sim.clock.advance(60)
        sim.delete("Customer", gone["Id"])
        again = sync.sync("books")
        assert again.counts["invoice"].updated == 1
        assert again.counts["customer"].deleted == 0  # never stored: nothing to mark
        assert stored(engine, "invoice", "books")[invoice["Id"]]["due_date"] == "2027-01-31"
        assert_mirrors(qbo, engine)

        # QuickBooks keeps customers (deleting one makes it inactive) but deletes invoices
        customer = sim.all("Customer")[0]
        sim.clock.advance(60)
        sim.delete("Customer", customer["Id"])
        unpaid = next(i for i in sim.all("Invoice") if not i.get("LinkedTxn"))
        sim.delete("Invoice", unpaid["Id"])
        third = sync.sync("books")
        assert third.counts["invoice"].deleted == 1 and third.counts["customer"].updated == 1
        assert unpaid["Id"] not in stored(engine, "invoice", "books")
        assert stored(engine, "customer", "books")[customer["Id"]]["metadata"]["active"] == (
            "False")
        assert_mirrors(qbo, engine)


def test_the_rotated_refresh_token_is_kept_sealed_and_used_next_time(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str) -> None:
    configured = os.environ["QBO_REFRESH_TOKEN"]
    with _hub(tmp_path, store_url, qbo) as (sync, engine, config):
        assert sync.sync("books").status == "succeeded"
        qbo_token = kept_token(engine, config)
        assert qbo_token and qbo_token != configured
        with engine.connect() as conn:
            sealed = " ".join(r[0] for r in conn.execute(sa.select(credentials.c.sealed)))
        assert qbo_token not in sealed and configured not in sealed
        # the configured token was rotated out: only the kept one still signs in
        second = SyncEngine(Hub(config, sync.hub.registry, engine)).sync("books")
        assert second.status == "succeeded"
        assert kept_token(engine, config) not in (configured, qbo_token)


def test_a_refused_refresh_token_says_to_connect_again_and_never_shows_it(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QBO_REFRESH_TOKEN", "AB11-not-a-token-the-simulator-gave")
    with _hub(tmp_path, store_url, qbo) as (sync, _engine, _config), pytest.raises(
            HubError) as exc:
        sync.sync("books")
    assert "connect" in str(exc.value) and "connected again" in str(exc.value)
    assert "not-a-token" not in str(exc.value) + (exc.value.hint or "")


def test_tokens_never_reach_the_logs_even_at_debug_level(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RedactingFilter())
    configured = os.environ["QBO_REFRESH_TOKEN"]
    with caplog.at_level(logging.DEBUG), _hub(tmp_path, store_url, qbo) as (sync, engine, config):
        assert sync.sync("books").status == "succeeded"
        kept = kept_token(engine, config)
    assert kept != configured
    assert "**********" in caplog.text  # the libraries did log tokens, and they were scrubbed
    for secret in (configured, kept, os.environ["QBO_CLIENT_SECRET"]):
        assert secret not in caplog.text


def test_a_full_read_includes_inactive_customers(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str) -> None:
    customer = qbo.sim.all("Customer")[0]
    qbo.sim.delete("Customer", customer["Id"])  # QuickBooks makes it inactive
    assert customer["Id"] not in {c["Id"] for c in qbo.sim.query(
        "SELECT * FROM Customer MAXRESULTS 1000")["Customer"]}
    with _hub(tmp_path, store_url, qbo) as (sync, engine, _config):
        assert sync.sync("books").status == "succeeded"
        assert stored(engine, "customer", "books")[customer["Id"]]["metadata"]["active"] == (
            "False")
        assert_mirrors(qbo, engine)


def test_with_one_request_in_five_failing_the_store_still_mirrors_the_company(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str) -> None:
    qbo.sim.faults = Faults(throttle=0.08, server_error=0.08, throttle_xml=0.5, seed=11)
    with _hub(tmp_path, store_url, qbo, max_attempts=10) as (sync, engine, _config):
        assert sync.sync("books").status == "succeeded"
        qbo.sim.clock.advance(60)
        invoice = qbo.sim.all("Invoice")[2]
        qbo.sim.update("Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"],
                                   "sparse": True, "PrivateNote": "Called, promised Friday"})
        assert sync.sync("books").counts["invoice"].updated == 1
        assert_mirrors(qbo, engine)
    assert qbo.sim.count_requests(status=429) > 0 and qbo.sim.count_requests(status=500) > 0


def test_an_access_token_that_runs_out_mid_sync_is_renewed(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str) -> None:
    pages = []

    def an_hour_passes_after_the_first_page(progress: Progress) -> None:
        pages.append(progress.entity)
        if len(pages) == 1:
            qbo.sim.clock.advance(3700)  # past the access token's hour

    with _hub(tmp_path, store_url, qbo) as (sync, engine, config):
        sync.progress = an_hour_passes_after_the_first_page
        assert sync.sync("books").status == "succeeded"
        assert_mirrors(qbo, engine)
        kept = kept_token(engine, config)
    assert len(pages) > 1 and qbo.sim.count_requests(status=401) == 1
    # the second refresh's token is the one kept
    assert kept != os.environ["QBO_REFRESH_TOKEN"]
    assert qbo.sim.count_requests(path="tokens/bearer") == 2


def test_a_cursor_older_than_change_data_capture_reaches_means_a_full_read(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str) -> None:
    with _hub(tmp_path, store_url, qbo) as (sync, engine, _config):
        assert sync.sync("books").status == "succeeded"
        with engine.begin() as conn:  # as if the last sync ran 40 days ago
            for (entity,) in conn.execute(sa.select(cursors.c.entity)).all():
                state = json.loads(cursors_module.load(conn, "books", entity) or "{}")
                state["since"] = (datetime.now(UTC) - timedelta(days=40)).isoformat()
                cursors_module.save(conn, "books", entity, json.dumps(state), run_id=None,
                                    now=datetime.now(UTC))
        cdc_before = qbo.sim.count_requests(path="/cdc")
        again = sync.sync("books")
        assert qbo.sim.count_requests(path="/cdc") == cdc_before  # CDC was not asked
        assert again.counts["invoice"].unchanged == 25 and again.counts["invoice"].created == 0


def test_a_burst_past_what_change_data_capture_answers_is_read_by_query(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str) -> None:
    with _hub(tmp_path, store_url, qbo, page_size=500) as (sync, engine, _config):
        assert sync.sync("books").status == "succeeded"
        qbo.sim.clock.advance(60)
        for i in range(1000):  # CDC answers at most 1000 objects an entity
            qbo.sim.create("Customer", {"DisplayName": f"Imported customer {i:04d}"})
        queries = qbo.sim.count_requests(path="/query")
        again = sync.sync("books")
        assert again.counts["customer"].created == 1000
        assert qbo.sim.count_requests(path="/query") - queries >= 2  # read by query pages
        assert_mirrors(qbo, engine)


def test_a_store_without_a_secret_key_is_refused_before_the_token_is_used(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str) -> None:
    with hub(tmp_path, store_url, section(qbo)) as (sync, _engine, _config), pytest.raises(
            ConfigError) as exc:
        sync.sync("books")
    assert exc.value.path == "store.secret_key"
    assert qbo.sim.count_requests(path="tokens/bearer") == 0
    # with the key added, the configured token (never used) still signs in
    with _hub(tmp_path, store_url, qbo) as (sync, engine, _config):
        assert sync.sync("books").status == "succeeded"
        assert_mirrors(qbo, engine)


class _DictVault:
    """A vault in memory."""

    def __init__(self, **values: str) -> None:
        self.values = dict(values)

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def put(self, name: str, value: str) -> None:
        self.values[name] = value

    def locked(self, name: str, *, timeout: float) -> AbstractContextManager[object]:
        return contextlib.nullcontext()


def test_a_kept_token_serves_only_the_configured_token_it_descends_from() -> None:
    vault = _DictVault()
    first = TokenKeeper(SecretStr("RT-configured-1"), vault)
    assert first.current() == "RT-configured-1"
    first.keep("RT-rotated-1")
    assert TokenKeeper(SecretStr("RT-configured-1"), vault).current() == "RT-rotated-1"
    # connected again: the new configured token, then its own rotation
    second = TokenKeeper(SecretStr("RT-configured-2"), vault)
    assert second.current() == "RT-configured-2"
    second.keep("RT-rotated-2")
    assert TokenKeeper(SecretStr("RT-configured-2"), vault).current() == "RT-rotated-2"
    # a value that is not a kept pair (another version's) is not taken for a token
    assert TokenKeeper(SecretStr("RT-configured-1"), _DictVault(
        refresh_token="RT-bare")).current() == "RT-configured-1"


def test_a_sign_in_that_fails_once_after_the_access_token_ran_out_is_tried_again(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_refresh = AuthClient.refresh
    calls = []

    def refresh(self: AuthClient, *args: Any, **kwargs: Any) -> None:
        calls.append(True)
        if len(calls) == 2:  # the sign-in after the 401 meets a dropped connection
            raise requests.ConnectionError("connection reset")
        real_refresh(self, *args, **kwargs)

    monkeypatch.setattr(AuthClient, "refresh", refresh)
    pages = []

    def an_hour_passes_after_the_first_page(progress: Progress) -> None:
        pages.append(progress.entity)
        if len(pages) == 1:
            qbo.sim.clock.advance(3700)

    with _hub(tmp_path, store_url, qbo) as (sync, engine, _config):
        sync.progress = an_hour_passes_after_the_first_page
        assert sync.sync("books").status == "succeeded"
        assert_mirrors(qbo, engine)
    assert len(calls) == 3


def test_an_entity_quiet_for_weeks_keeps_reading_changes_and_deletions(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = qbo.sim.clock

    class SimulatedNow(datetime):
        """The hub's clock kept with the simulator's, which the test moves on by days."""

        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return clock.now().astimezone(tz)

    monkeypatch.setattr(connector_module, "datetime", SimulatedNow)
    with _hub(tmp_path, store_url, qbo) as (sync, engine, _config):
        assert sync.sync("books").status == "succeeded"
        for _week in range(5):  # nothing changes for five weeks; a sync a week finds nothing
            clock.advance(7 * 86400)
            assert sync.sync("books").status == "succeeded"
        unpaid = next(i for i in qbo.sim.all("Invoice") if not i.get("LinkedTxn"))
        qbo.sim.delete("Invoice", unpaid["Id"])
        cdc_before = qbo.sim.count_requests(path="/cdc")
        third = sync.sync("books")
        assert qbo.sim.count_requests(path="/cdc") - cdc_before == len(ENTITIES)
        assert third.counts["invoice"].deleted == 1  # a full read could not have told
        assert_mirrors(qbo, engine)


def test_a_process_signs_in_again_with_the_token_another_process_kept_meanwhile(
        qbo: QboSimulatorServer, engine: Engine) -> None:
    config = QuickBooksConfig.model_validate({
        "realm_id": qbo.realm_id, "client_id": SecretStr(qbo.client_id),
        "client_secret": SecretStr(qbo.client_secret),
        "refresh_token": SecretStr(os.environ["QBO_REFRESH_TOKEN"]),
        "environment": qbo.discovery_url, "api_url": qbo.api_url})
    vault = StoreVault(engine, "books", SecretStr(SECRET_KEY))
    syncing, pushing = QuickBooksApi(config, vault), QuickBooksApi(config, vault)
    try:
        syncing.query("SELECT * FROM Customer")  # signs in: the configured token rotates
        pushing.query("SELECT * FROM Customer")  # signs in with the kept one: it rotates again
        qbo.sim.clock.advance(3700)  # the long sync's access token runs out
        assert "Customer" in syncing.query("SELECT * FROM Customer")["QueryResponse"]
    finally:
        syncing.close()
        pushing.close()
