"""The HTTP service around the webhook endpoint: its [web] settings, the debounced
background worker, and `billing-hub serve` as a user runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from hub.config import load_config
from hub.errors import ConfigError
from hub.web.settings import WebSettings
from hub.web.worker import Debouncer, WebhookWorker
from plugins.stripe.simulator import sign
from tests.support.hub import CLI, free_port, wait_until_serving, write_config


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_over_after_a_quiet_spell_or_at_the_latest_max_wait() -> None:
    clock = FakeClock()
    burst = Debouncer(quiet=2, max_wait=10, clock=clock)
    assert burst.due_in() is None and not burst.pending
    for _ in range(4):  # a delivery every second: never quiet for 2 s
        burst.kick()
        assert burst.due_in() == 2
        clock.now += 1
    assert burst.due_in() == 1  # 2 s after the last kick
    clock.now += 1
    assert burst.due_in() == 0
    burst.take()
    assert burst.due_in() is None
    burst.kick()  # a steady stream: due max_wait after its first kick
    for _ in range(12):
        clock.now += 1
        burst.kick()
    assert burst.due_in() == -2


def test_the_worker_runs_once_at_start_then_after_each_burst_and_stops_cleanly() -> None:
    calls: list[int] = []
    done = threading.Condition()

    def process() -> None:
        with done:
            calls.append(len(calls))
            done.notify_all()
        if len(calls) == 2:
            raise RuntimeError("a failing round is logged, the worker goes on")

    def wait_calls(n: int) -> None:
        with done:
            assert done.wait_for(lambda: len(calls) >= n, timeout=30), calls

    worker = WebhookWorker(process, debounce=0.01, max_wait=1, poll=3600)
    worker.start()
    wait_calls(1)  # deliveries left from a previous run are looked at first
    for _ in range(5):
        worker.kick()
    wait_calls(2)
    worker.kick()
    wait_calls(3)
    worker.stop()
    assert not any(t.name == "billing-hub-webhooks" for t in threading.enumerate())
    assert worker.rounds == len(calls)


@pytest.mark.parametrize(("section", "path"), [
    ("[web]\nport = 0\n", "web.port"),
    ("[web]\nmax_body_bytes = 10\n", "web.max_body_bytes"),
    ("[web]\nlisten = 'x'\n", "web.listen"),
])
def test_bad_web_settings_name_their_path(tmp_path: Path, section: str, path: str) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 's.db'}", section)
    with pytest.raises(ConfigError) as exc:
        WebSettings.of(load_config(config))
    assert exc.value.path == path


@pytest.mark.slow
def test_billing_hub_serve_answers_webhooks_until_interrupted(tmp_path: Path) -> None:
    secret = "whsec_serve_test_secret"
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'store.db'}", """
        [connectors.stripe]
        type = "stripe"
        api_key = "env:BH_SERVE_STRIPE_KEY"
        api_base = "http://127.0.0.1:9"
        webhook_secret = "env:BH_SERVE_WHSEC"

        [web]
        process_webhooks = false
    """)
    port = free_port()
    env = {**os.environ, "BH_SERVE_STRIPE_KEY": "sk_test_serve", "BH_SERVE_WHSEC": secret}
    server = subprocess.Popen(
        [sys.executable, "-c", CLI, "--config", str(config), "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_until_serving(server, f"http://127.0.0.1:{port}")
        body = (b'{"id": "evt_serve_1", "object": "event", "type": "customer.created", '
                b'"created": 1, "data": {"object": {"id": "cus_1", "object": "customer"}}}')
        url = f"http://127.0.0.1:{port}/webhooks/stripe"
        good = httpx.post(url, content=body, headers={
            "Stripe-Signature": sign(body, secret, int(time.time()))})
        assert good.json() == {"received": True, "duplicate": False, "changes": 1}
        assert httpx.post(url, content=body).status_code == 400
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert f"POST http://127.0.0.1:{port}/webhooks/stripe" in out
    assert "only recorded" in out
    assert secret not in out + err and "sk_test_serve" not in out + err
