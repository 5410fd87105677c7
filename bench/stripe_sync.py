"""Benchmark: a full and an incremental Stripe sync against the simulator, with latency.

    .venv/bin/python bench/stripe_sync.py [--invoices 100000] [--latency 0.05]
                                          [--rate 90] [--skip-baseline]

Starts the Stripe simulator in its own process (so its CPU is not in the
measured process), seeds it with N invoices, gives every request ``--latency``
seconds and Stripe's live-mode rate limit (100 requests a second), then:

1. the baseline: the stripe SDK reading every invoice sequentially with
   ``auto_paging_iter`` (its own typed objects, nothing stored);
2. a full sync of the invoices into a fresh SQLite store through the sync
   engine, at the connector's default concurrency, within ``--rate``
   requests a second (our own budget under Stripe's limit);
3. an incremental sync right after it, with nothing changed.

Prints the request count of the full sync against the minimum (N / 100), its
wall time against the baseline's, and the requests of the incremental sync.
Targets (issue 5): at least 5x faster than the baseline at the default
concurrency; at most 2 requests per entity for an incremental sync.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import stripe

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.config import load_config  # noqa: E402
from hub.plugins import load_plugins  # noqa: E402
from hub.runtime import Hub  # noqa: E402
from hub.store import open_store  # noqa: E402
from hub.sync.engine import SyncEngine  # noqa: E402
from plugins.stripe.config import StripeConfig  # noqa: E402

CONFIG = """\
[store]
url = "sqlite:///store.db"

[connectors.stripe]
type = "stripe"
api_key = "env:BH_BENCH_STRIPE_KEY"
api_base = "{url}"
entities = ["invoice"]
requests_per_second = {rate}
"""


def control(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call one of the simulator's knobs (``/_simulator/...``)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}/_simulator/{path}", data=data,
                                     method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def requests_made(url: str) -> int:
    return int(control(url, "requests")["total"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rate", type=float, default=90.0,
                        help="the connector's own requests-per-second budget")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bh-bench-stripe-"))
    print(f"seeding the simulator with {args.invoices:,} invoices ...", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plugins.stripe.simulator", "--invoices", str(args.invoices),
         "--customers", str(max(10, args.invoices // 50)), "--days", "365", "--seed", "1"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        url, key = ready["url"], ready["api_key"]
        print(f"simulator ready at {url} in {time.perf_counter() - started:.0f} s", flush=True)
        control(url, "faults", {"latency": args.latency})
        control(url, "rate_limit", {"per_second": 100})  # Stripe's live-mode limit

        baseline = None
        if not args.skip_baseline:
            print("baseline: sequential auto_paging_iter ...", flush=True)
            client = stripe.StripeClient(key, base_addresses={"api": url},
                                         http_client=stripe.HTTPXClient(allow_sync_methods=True))
            control(url, "requests/reset", {})
            started = time.perf_counter()
            seen = sum(1 for _ in client.v1.invoices.list({"limit": 100}).auto_paging_iter())
            baseline = time.perf_counter() - started
            base_requests = requests_made(url)

        os.environ["BH_BENCH_STRIPE_KEY"] = key
        (work / "billing-hub.toml").write_text(CONFIG.format(url=url, rate=args.rate))
        config = load_config(work / "billing-hub.toml")
        engine = open_store(config.store_url())
        sync = SyncEngine(Hub(config, load_plugins(), engine))
        stripe_config = config.connectors["stripe"]
        concurrency = StripeConfig.model_fields["concurrency"].default
        print(f"full sync (concurrency {concurrency}) ...", flush=True)
        control(url, "requests/reset", {})
        started = time.perf_counter()
        full = sync.sync("stripe")
        full_time = time.perf_counter() - started
        full_requests = requests_made(url)

        control(url, "requests/reset", {})
        started = time.perf_counter()
        again = sync.sync("stripe")
        again_time = time.perf_counter() - started
        again_requests = requests_made(url)
        engine.dispose()

        created = full.counts["invoice"].created
        c2 = again.counts["invoice"]
        minimum = math.ceil(args.invoices / 100)
        print()
        print(f"invoices:          {args.invoices:,}, {args.latency * 1000:.0f} ms a request, "
              f"simulator limit 100 requests/s, connector budget {args.rate:g}/s "
              f"({stripe_config.type})")
        if baseline is not None:
            print(f"baseline:          {baseline:.1f} s, {base_requests} requests, "
                  f"{seen:,} invoices (sequential auto_paging_iter, SDK objects)")
        print(f"full sync:         {full_time:.1f} s, {full_requests} requests "
              f"(minimum {minimum}: {full_requests / minimum:.2f}x), {created:,} created, "
              f"status {full.status}")
        if baseline is not None:
            print(f"speed-up:          {baseline / full_time:.1f}x the baseline (target >= 5)")
        print(f"incremental sync:  {again_time:.2f} s, {again_requests} requests for 1 entity "
              f"(target <= 2), {c2.created} created, {c2.updated} updated, "
              f"{c2.unchanged} unchanged")
        ok = (full.status == "succeeded" and created == args.invoices and again_requests <= 2
              and (baseline is None or baseline / full_time >= 5))
        return 0 if ok else 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
