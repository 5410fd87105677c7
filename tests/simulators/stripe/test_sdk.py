"""The real ``stripe`` SDK against the simulator over HTTP: lists and cursors,
filters, expand, errors, idempotency, faults and rate limits as the SDK sees them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
import stripe

from plugins.stripe.simulator import Faults, RateLimit, Simulator, SimulatorServer
from tests.simulators.stripe.frozen import NOW

pytestmark = pytest.mark.filterwarnings(  # stripe 16.1 hands httpx its body as data=str
    "ignore:Use 'content=<...>' to upload raw bytes/text content.:DeprecationWarning")


def _error(exc: stripe.StripeError) -> dict[str, Any]:
    """The ``error`` object of an error answer's JSON body."""
    body = exc.json_body
    assert isinstance(body, dict)
    error: dict[str, Any] = body["error"]
    return error


def _headers(exc: stripe.StripeError) -> Mapping[str, str]:
    """The answer's headers (httpx's, case-insensitive)."""
    assert exc.headers is not None
    return exc.headers


def _customers(client: Any, count: int, *, step: int = 0, sim: Simulator | None = None,
               ) -> list[str]:
    ids = []
    for index in range(count):
        ids.append(client.v1.customers.create({"name": f"C{index}"}).id)
        if step and sim is not None:
            sim.clock.advance(step)
    return ids


# ---------------------------------------------------------------- lists


def test_auto_paging_iter_reads_every_page_newest_first(client: Any, sim: Simulator) -> None:
    ids = _customers(client, 23)
    sim.reset_request_counts()
    page = client.v1.customers.list({"limit": 5})
    assert page.url == "/v1/customers" and page.has_more
    seen = [c.id for c in page.auto_paging_iter()]
    assert seen == ids[::-1]
    assert sim.request_counts == {"GET /v1/customers": 5}


def test_ending_before_reads_towards_newer_objects(client: Any) -> None:
    ids = _customers(client, 12)
    page = client.v1.customers.list({"limit": 4, "ending_before": ids[3]})
    assert [c.id for c in page.data] == [ids[7], ids[6], ids[5], ids[4]]
    assert page.has_more
    backwards = [c.id for c in page.auto_paging_iter()]
    assert backwards == ids[4:]


def test_default_and_bounds_of_limit(client: Any) -> None:
    _customers(client, 12)
    assert len(client.v1.customers.list().data) == 10
    for bad in (0, 101):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.customers.list({"limit": bad})
        assert caught.value.http_status == 400 and caught.value.param == "limit"
    assert len(client.v1.customers.list({"limit": 100}).data) == 12


def test_both_cursors_at_once_is_a_400(client: Any) -> None:
    ids = _customers(client, 3)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.list({"starting_after": ids[2], "ending_before": ids[0]})
    assert caught.value.http_status == 400


def test_a_cursor_naming_no_object_is_refused(client: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.list({"starting_after": "cus_nothere"})
    assert caught.value.code == "resource_missing" and caught.value.param == "starting_after"


def test_created_filters_are_exact_at_their_bounds(client: Any, sim: Simulator) -> None:
    ids = _customers(client, 6, step=10, sim=sim)  # created NOW, NOW+10, ... NOW+50

    def listed(created: dict[str, int] | int) -> list[str]:
        return [c.id for c in client.v1.customers.list({"created": created, "limit": 100})]

    assert listed({"gt": NOW + 10}) == ids[:1:-1]
    assert listed({"gte": NOW + 10}) == ids[:0:-1]
    assert listed({"lt": NOW + 30}) == ids[2::-1]
    assert listed({"lte": NOW + 30}) == ids[3::-1]
    assert listed({"gte": NOW + 10, "lt": NOW + 40}) == [ids[3], ids[2], ids[1]]
    assert listed(NOW + 20) == [ids[2]]
    assert listed({"gt": NOW + 100}) == []


def test_same_second_objects_keep_one_order_across_pages(client: Any) -> None:
    ids = _customers(client, 30)  # all created in the same (frozen) second
    pages = [c.id for c in client.v1.customers.list({"limit": 7}).auto_paging_iter()]
    assert pages == ids[::-1] and len(set(pages)) == 30


def test_unknown_and_malformed_parameters_are_refused(client: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.create({"name": "x", "nickname": "y"})
    assert caught.value.code == "parameter_unknown" and caught.value.param == "nickname"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.list({"created": {"gte": "yesterday"}})
    assert caught.value.param == "created[gte]"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoices.create({})
    assert caught.value.code == "parameter_missing" and caught.value.param == "customer"


def test_a_missing_object_is_a_404_with_stripes_error_body(client: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoices.retrieve("in_missing")
    error = caught.value
    assert error.http_status == 404 and error.code == "resource_missing"
    body = _error(error)
    assert body["type"] == "invalid_request_error"
    assert body["message"] == "No such invoice: 'in_missing'"
    assert body["doc_url"].endswith("/resource-missing")
    assert error.request_id and error.request_id.startswith("req_")


def test_an_unknown_url_is_a_404(server: SimulatorServer) -> None:
    answer = httpx.get(f"{server.url}/v1/widgets",
                       headers={"Authorization": "Bearer sk_test_x"})
    assert answer.status_code == 404
    assert answer.json()["error"]["message"].startswith("Unrecognized request URL (GET: /v1/")


def test_api_keys_are_checked(server: SimulatorServer) -> None:
    with pytest.raises(stripe.AuthenticationError):
        server.client("sk_live_real_key", max_network_retries=0).v1.customers.list()
    answer = httpx.get(f"{server.url}/v1/customers")
    assert answer.status_code == 401 and "API key" in answer.json()["error"]["message"]


# ---------------------------------------------------------------- expand


def test_retrieve_with_expand(client: Any) -> None:
    customer = client.v1.customers.create({"name": "Ada", "email": "ada@example.com"})
    invoice = client.v1.invoices.create({"customer": customer.id, "currency": "eur"})
    client.v1.invoices.add_lines(invoice.id, {"lines": [{"amount": 1200, "description": "x"}]})
    client.v1.invoices.finalize_invoice(invoice.id)
    client.v1.invoices.pay(invoice.id)

    plain = client.v1.invoices.retrieve(invoice.id)
    assert plain.customer == customer.id and "payments" not in plain
    full = client.v1.invoices.retrieve(invoice.id, {"expand": ["customer", "payments"]})
    assert full.customer.email == "ada@example.com"
    [payment] = full.payments.data
    assert payment.status == "paid" and payment.amount_paid == 1200

    deep = client.v1.invoice_payments.retrieve(payment.id, {
        "expand": ["payment.payment_intent.latest_charge.balance_transaction"]})
    charge = deep.payment.payment_intent.latest_charge
    assert charge.object == "charge" and charge.balance_transaction.net == 1200 - 65

    charges = client.v1.charges.list({"expand": ["data.balance_transaction", "data.customer"]})
    assert charges.data[0].balance_transaction.fee == 65
    assert charges.data[0].customer.name == "Ada"

    for bad in (["nonsense"], ["customer.a.b.c.d"]):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.invoices.retrieve(invoice.id, {"expand": bad})
        assert caught.value.param == "expand"


def test_invoice_lines_beyond_ten_page_through_lines(client: Any) -> None:
    customer = client.v1.customers.create({"name": "Many lines"})
    invoice = client.v1.invoices.create({"customer": customer.id})
    lines: list[dict[str, Any]] = [{"amount": 100 * (n + 1), "description": f"line {n}"}
                                   for n in range(12)]
    client.v1.invoices.add_lines(invoice.id, {"lines": lines})
    read = client.v1.invoices.retrieve(invoice.id)
    assert len(read.lines.data) == 10 and read.lines.has_more
    assert read.lines.url == f"/v1/invoices/{invoice.id}/lines"
    assert read.total == sum(line["amount"] for line in lines)
    every = list(client.v1.invoices.line_items.list(invoice.id, {"limit": 5})
                 .auto_paging_iter())
    assert [x.description for x in every] == [f"line {n}" for n in range(12)]
    assert sum(x.amount for x in every) == read.total


# ---------------------------------------------------------------- idempotency


def test_the_same_key_replays_the_first_answer(client: Any, sim: Simulator) -> None:
    params = {"name": "Once", "metadata": {"row": "17"}}
    first = client.v1.customers.create(params, {"idempotency_key": "outbox-17"})
    again = client.v1.customers.create(params, {"idempotency_key": "outbox-17"})
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert again.last_response.headers["Original-Request"] == first.last_response.request_id
    assert len(sim.store.customers) == 1
    with pytest.raises(stripe.IdempotencyError) as caught:
        client.v1.customers.create({"name": "Other"}, {"idempotency_key": "outbox-17"})
    assert caught.value.http_status == 400
    with pytest.raises(stripe.IdempotencyError):  # same key on another endpoint
        client.v1.invoices.create({"customer": first.id}, {"idempotency_key": "outbox-17"})
    assert len(sim.store.customers) == 1 and len(sim.store.invoices) == 0


def test_an_error_after_the_endpoint_ran_is_replayed_too(client: Any, sim: Simulator) -> None:
    customer = client.v1.customers.create({"name": "Declined"})
    invoice = client.v1.invoices.create({"customer": customer.id})
    client.v1.invoices.add_lines(invoice.id, {"lines": [{"amount": 500}]})
    client.v1.invoices.finalize_invoice(invoice.id)
    pay = {"payment_method": "pm_card_chargeDeclined"}
    for _ in range(2):
        with pytest.raises(stripe.CardError) as caught:
            client.v1.invoices.pay(invoice.id, pay, {"idempotency_key": "pay-1"})
        assert caught.value.code == "card_declined" and caught.value.http_status == 402
    assert client.v1.invoices.retrieve(invoice.id).attempt_count == 1


def test_a_refused_request_keeps_its_key_free(client: Any, sim: Simulator) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.create({"name": "x", "bogus": "1"}, {"idempotency_key": "k"})
    made = client.v1.customers.create({"name": "x"}, {"idempotency_key": "k"})
    assert made.name == "x"


def test_a_key_in_flight_answers_409(server: SimulatorServer, sim: Simulator) -> None:
    sim.faults = Faults(latency=0.4, methods=frozenset({"POST"}))
    client = server.client(max_network_retries=0)
    outcome: dict[str, Any] = {}

    def first() -> None:
        outcome["first"] = client.v1.customers.create({"name": "Slow"},
                                                     {"idempotency_key": "busy"})

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(0.15)
    with pytest.raises(stripe.APIError) as caught:
        client.v1.customers.create({"name": "Slow"}, {"idempotency_key": "busy"})
    assert caught.value.http_status == 409
    assert _error(caught.value)["type"] == "idempotency_error"
    thread.join()
    retrying = server.client(max_network_retries=3)
    assert retrying.v1.customers.create({"name": "Slow"},
                                        {"idempotency_key": "busy"}).id == outcome["first"].id
    assert len(sim.store.customers) == 1


# ---------------------------------------------------------------- faults


def test_a_lost_response_was_committed_and_a_retry_replays_it(client: Any,
                                                              sim: Simulator) -> None:
    sim.script_fault("lost_response", method="POST", path="^/v1/customers$")
    with pytest.raises(stripe.APIConnectionError):
        client.v1.customers.create({"name": "Lost"}, {"idempotency_key": "row-1"})
    assert [c.name for c in sim.store.customers.values()] == ["Lost"]
    again = client.v1.customers.create({"name": "Lost"}, {"idempotency_key": "row-1"})
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(sim.store.customers) == 1


def test_the_sdk_retries_lost_responses_and_drops_without_duplicates(
        server: SimulatorServer, sim: Simulator) -> None:
    client = server.client(max_network_retries=3)
    sim.script_fault("lost_response", method="POST")
    sim.script_fault("drop", method="POST")
    made = client.v1.customers.create({"name": "Retried"})  # the SDK adds a key itself
    assert made.name == "Retried"
    assert len(sim.store.customers) == 1
    assert sim.request_counts["POST /v1/customers"] == 3
    assert sim.injected["lost_response"] == 1 and sim.injected["drop"] == 1


def test_a_dropped_request_was_not_applied(client: Any, sim: Simulator) -> None:
    sim.script_fault("drop", method="POST")
    with pytest.raises(stripe.APIConnectionError):
        client.v1.customers.create({"name": "Dropped"})
    assert len(sim.store.customers) == 0


def test_429_is_a_rate_limit_error_the_sdk_does_not_retry(server: SimulatorServer,
                                                          sim: Simulator) -> None:
    client = server.client(max_network_retries=3)
    sim.script_fault("rate_limit")
    with pytest.raises(stripe.RateLimitError) as caught:
        client.v1.customers.list()
    error = caught.value
    assert error.http_status == 429 and _error(error)["code"] == "rate_limit"
    assert _headers(error)["Retry-After"] == "1"
    assert "Stripe-Should-Retry" not in _headers(error)
    assert sim.request_counts == {"GET /v1/customers": 1}


def test_a_lock_timeout_says_retry_and_the_sdk_does(server: SimulatorServer,
                                                    sim: Simulator) -> None:
    client = server.client(max_network_retries=3)
    sim.script_fault("lock_timeout")
    assert client.v1.customers.list().data == []
    assert sim.request_counts == {"GET /v1/customers": 2}
    sim.script_fault("lock_timeout")
    with pytest.raises(stripe.RateLimitError) as caught:
        server.client(max_network_retries=0).v1.customers.list()
    assert _headers(caught.value)["Stripe-Should-Retry"] == "true"


def test_5xx_is_an_api_error_the_sdk_retries(server: SimulatorServer, sim: Simulator) -> None:
    sim.script_fault("server_error")
    with pytest.raises(stripe.APIError) as caught:
        server.client(max_network_retries=0).v1.customers.list()
    assert caught.value.http_status == 500
    assert _error(caught.value)["type"] == "api_error"
    sim.script_fault("server_error")
    assert server.client(max_network_retries=2).v1.customers.list().data == []


def test_fault_shares_are_reproducible_with_a_seed() -> None:
    def outcomes(seed: int) -> list[int]:
        sim = Simulator()
        sim.faults = Faults(rate_limit=0.2, server_error=0.2, drop=0.1, seed=seed)
        from plugins.stripe.simulator import Request
        request = Request("GET", "/v1/customers", headers={"authorization": "Bearer sk_test_x"})
        return [sim.handle(request).status for _ in range(200)]

    first = outcomes(5)
    assert first == outcomes(5) and first != outcomes(6)
    assert {0, 200, 429, 500} == set(first)
    assert 60 < sum(1 for x in first if x != 200) < 140


def test_the_rate_limiter_answers_429_with_retry_after(server: SimulatorServer,
                                                       sim: Simulator) -> None:
    sim.rate_limit = RateLimit(per_second=4)
    client = server.client(max_network_retries=0)
    for _ in range(4):
        client.v1.customers.list()
    with pytest.raises(stripe.RateLimitError) as caught:
        client.v1.customers.list()
    assert int(_headers(caught.value)["Retry-After"]) >= 1
    sim.rate_limit = None
    client.v1.customers.list()


def test_latency_does_not_serialise_concurrent_requests(server: SimulatorServer,
                                                        sim: Simulator) -> None:
    sim.faults = Faults(latency=0.1)
    client = server.client(max_network_retries=0)
    start = time.perf_counter()
    threads = [threading.Thread(target=client.v1.customers.list) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    assert 0.1 <= elapsed < 0.6, elapsed
    assert sim.request_counts == {"GET /v1/customers": 16}


def test_async_calls_run_concurrently(server: SimulatorServer, sim: Simulator) -> None:
    sim.faults = Faults(latency=0.1)
    client = server.client(max_network_retries=0)

    async def many() -> list[Any]:
        return list(await asyncio.gather(*(client.v1.customers.list_async() for _ in range(10))))

    start = time.perf_counter()
    pages = asyncio.run(many())
    assert len(pages) == 10 and time.perf_counter() - start < 0.6


def test_stopping_does_not_wait_for_injected_latency() -> None:
    sim = Simulator()
    sim.faults = Faults(latency=30)
    with SimulatorServer(sim) as server:
        client = server.client(max_network_retries=0)
        errors: list[Exception] = []

        def waiting() -> None:
            try:
                client.v1.customers.list()
            except stripe.APIConnectionError as exc:
                errors.append(exc)

        thread = threading.Thread(target=waiting)
        thread.start()
        time.sleep(0.2)
        start = time.perf_counter()
    assert time.perf_counter() - start < 3
    thread.join(5)
    assert not thread.is_alive() and len(errors) == 1


def test_events_and_invoice_payments_through_the_sdk(client: Any, sim: Simulator) -> None:
    customer = client.v1.customers.create({"name": "Evented"})
    invoice = client.v1.invoices.create({"customer": customer.id})
    client.v1.invoices.add_lines(invoice.id, {"lines": [
        {"price_data": {"currency": "usd", "unit_amount": 250}, "quantity": 4}]})
    client.v1.invoices.finalize_invoice(invoice.id)
    sim.clock.advance(60)
    paid = client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    assert paid.status == "paid" and paid.total == 1000
    events = list(client.v1.events.list({
        "types": ["invoice.finalized", "invoice.paid"], "created": {"gte": NOW},
        "limit": 1}).auto_paging_iter())
    assert [e.type for e in events] == ["invoice.paid", "invoice.finalized"]
    assert events[0].data.object.id == invoice.id
    assert events[0].request.id and events[0].request.idempotency_key  # the SDK's own key
    rows = client.v1.invoice_payments.list({"invoice": invoice.id, "status": "canceled"})
    [row] = rows.data
    by_intent = client.v1.invoice_payments.list({
        "payment": {"type": "payment_intent", "payment_intent": row.payment.payment_intent}})
    assert [x.id for x in by_intent.data] == [row.id]
