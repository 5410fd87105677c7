"""The QuickBooks simulator as the hub's tests use it: a seeded company and a config for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from plugins.quickbooks.simulator import QboSimulatorServer
from plugins.quickbooks.simulator.seed import seed

SECRET_KEY = "quickbooks-test-store-secret-key"


@contextmanager
def seeded_company(monkeypatch: pytest.MonkeyPatch) -> Iterator[QboSimulatorServer]:
    """A seeded simulated company over HTTPS, its CA trusted and its keys in the environment;
    its OAuth server rotates the refresh token at every refresh."""
    with QboSimulatorServer() as server:
        # the strictest OAuth server (a new refresh token at every refresh, the old one
        # refused at once), so a token the hub failed to keep is found at once
        server.sim.rotate_every_refresh()
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_bundle)
        monkeypatch.setenv("BH_SECRET", SECRET_KEY)
        monkeypatch.setenv("QBO_CLIENT_ID", server.client_id)
        monkeypatch.setenv("QBO_CLIENT_SECRET", server.client_secret)
        monkeypatch.setenv("QBO_REFRESH_TOKEN", server.connect())
        seed(server.sim, customers=8, invoices=25, seed=3)
        yield server


def section(server: QboSimulatorServer, **extra: Any) -> str:
    """``[connectors.books]`` of type quickbooks, pointed at ``server``; ``extra`` are TOML
    values (written as given) added or replacing the defaults."""
    values: dict[str, Any] = {
        "type": '"quickbooks"', "realm_id": f'"{server.realm_id}"',
        "client_id": '"env:QBO_CLIENT_ID"', "client_secret": '"env:QBO_CLIENT_SECRET"',
        "refresh_token": '"env:QBO_REFRESH_TOKEN"', "environment": f'"{server.discovery_url}"',
        "api_url": f'"{server.api_url}"', "page_size": 7, "throttled_wait_seconds": 0,
    }
    values.update(extra)
    return "[connectors.books]\n" + "".join(f"{k} = {v}\n" for k, v in values.items())


def config_body(server: QboSimulatorServer, **extra: Any) -> str:
    """What goes under ``[store] url``: the store's secret key and the connector."""
    return 'secret_key = "env:BH_SECRET"\n\n' + section(server, **extra)
