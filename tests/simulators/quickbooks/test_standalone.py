"""``python -m plugins.quickbooks.simulator`` serves a seeded company and says how to reach it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.objects.invoice import Invoice

from tests.support.paths import ROOT


def test_standalone_process(monkeypatch: pytest.MonkeyPatch) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "plugins.quickbooks.simulator", "--customers", "5",
         "--invoices", "7"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", ready["ca_bundle"])
        auth = AuthClient(ready["client_id"], ready["client_secret"], ready["redirect_uri"],
                          environment=ready["discovery_url"])
        qb = QuickBooks(auth_client=auth, refresh_token=ready["refresh_token"],
                        company_id=ready["realm_id"], minorversion=75)
        qb.api_url_v3 = ready["api_url"]
        assert Invoice.count(qb=qb) == 7
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
