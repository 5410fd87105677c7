"""``GET /healthz`` and ``GET /metrics`` of ``billing-hub serve`` (Starlette's TestClient),
on both stores: the health follows the store's schema, the metrics follow the store's
runs, findings, quarantine and outbox, and are served only to whom the config allows."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from starlette.exceptions import StarletteDeprecationWarning

from hub.cli import exits
from hub.config import HubConfig, load_config
from hub.plugins import load_plugins
from hub.reconcile.runner import reconcile
from hub.reconcile.settings import ReconcileSettings
from hub.runtime import Hub
from hub.store import head_revision, migrate
from hub.store.clock import utcnow
from hub.store.database import downgrade
from hub.store.outbox import add
from hub.store.schema import findings
from hub.web.app import create_app
from hub.web.settings import WebSettings
from tests.support.company import BODY, PAYMENTS, sync_all, write_company
from tests.support.hub import cli, hub, opened

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery staple"
TOKEN = "prometheus-scrape-token-31337"
WEB = """
[web]
coordinator_password = "env:BH_TEST_WEB_PASSWORD"
metrics_token = "env:BH_TEST_METRICS_TOKEN"
"""


@pytest.fixture(autouse=True)
def secrets_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BH_TEST_WEB_PASSWORD", PASSWORD)
    monkeypatch.setenv("BH_TEST_METRICS_TOKEN", TOKEN)


@pytest.fixture
def company(tmp_path: Path, store_url: str) -> Iterator[tuple[HubConfig, Engine]]:
    """The sample company synced (one payment row quarantined) and reconciled."""
    write_company(tmp_path)
    (tmp_path / "payments.csv").write_text(PAYMENTS + "P9,2026-03-28,twelve,USD,Acme,,\n",
                                           encoding="utf-8")
    with hub(tmp_path, store_url, BODY + WEB) as (sync, engine, config):
        sync_all(sync)
        reconcile(engine, ReconcileSettings.of(config))
        yield config, engine


def _client(config: HubConfig, engine: Engine) -> TestClient:
    return TestClient(create_app(Hub(config, load_plugins(), engine), process_webhooks=False),
                      follow_redirects=False)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_count_runs_findings_quarantine_outbox_and_sync_age(
        company: tuple[HubConfig, Engine]) -> None:
    config, engine = company
    with engine.begin() as conn:
        add(conn, target="shop", entity="customer", operation="create", record_id=None,
            payload="{}", key="metrics-test-1", now=utcnow())
        open_kinds = {str(kind): int(n) for kind, n in conn.execute(
            sa.select(findings.c.kind, sa.func.count()).where(findings.c.status == "open")
            .group_by(findings.c.kind))}
    assert open_kinds.get("duplicate_payment") == 1
    with _client(config, engine) as client:
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    got = _samples(answer.text)
    for connector in ("books", "shop", "bank"):
        age = got[("billing_hub_last_successful_sync_age_seconds",
                   (("connector", connector),))]
        assert 0 <= age < 600
    assert got[("billing_hub_runs", (("kind", "sync"), ("status", "succeeded")))] == 3
    assert got[("billing_hub_quarantine_open", ())] == 1
    assert got[("billing_hub_outbox_pending", ())] == 1
    shown = {dict(labels)["kind"]: value for (name, labels), value in got.items()
             if name == "billing_hub_findings_open"}
    assert shown == open_kinds
    assert TOKEN not in answer.text and PASSWORD not in answer.text


def test_metrics_need_the_token_or_a_sign_in_unless_public(
        company: tuple[HubConfig, Engine], store_url: str) -> None:
    config, engine = company
    with _client(config, engine) as client:
        assert client.get("/metrics").status_code == 401
        refused = client.get("/metrics", headers={"Authorization": "Bearer wrong-token"})
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert TOKEN not in refused.text
        form = client.get("/signin").text
        csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        signed = client.post("/signin", data={"csrf": csrf, "name": "Ana", "password": PASSWORD})
        assert signed.status_code == 303
        assert client.get("/metrics").status_code == 200
    public = HubConfig.model_validate({"store": {"url": store_url},
                                       "web": {"metrics_public": True}})
    with _client(public, engine) as client:
        answer = client.get("/metrics")
        assert answer.status_code == 200 and "billing_hub_quarantine_open 1.0" in answer.text


def test_healthz_is_200_at_the_newest_schema_and_503_behind_it_or_unreachable(
        tmp_path: Path, engine: Engine, store_url: str) -> None:
    config = HubConfig.model_validate({"store": {"url": store_url}})
    with _client(config, engine) as client:
        answer = client.get("/healthz")
        assert answer.status_code == 200
        assert answer.json() == {"status": "ok", "store": "reachable",
                                 "schema": head_revision()}
        downgrade(engine, "0010")
        behind = client.get("/healthz")
        assert behind.status_code == 503
        body = behind.json()
        assert body["status"] == "unavailable" and body["schema"] == "0010"
        assert "billing-hub db upgrade" in body["reason"]
        migrate(engine)
        assert client.get("/healthz").status_code == 200
    gone = sa.create_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'store.db'}")
    with _client(config, gone) as client:
        answer = client.get("/healthz")
        assert answer.status_code == 503
        assert answer.json()["store"] == "unreachable"


def test_the_init_template_sets_the_metrics_token_once_uncommented(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "init")[0] == exits.OK
    text = (tmp_path / "billing-hub.toml").read_text()
    plain = WebSettings.of(load_config(tmp_path / "billing-hub.toml"))
    assert (plain.metrics_token, plain.metrics_public) == (None, False)
    (tmp_path / "with-metrics.toml").write_text(opened(text, "# metrics_token"))
    monkeypatch.setenv("BILLING_HUB_METRICS_TOKEN", TOKEN)
    web = WebSettings.of(load_config(tmp_path / "with-metrics.toml"))
    assert web.metrics_token is not None and web.metrics_token.get_secret_value() == TOKEN
    assert web.metrics_public is False
