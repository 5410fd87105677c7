"""The wire: Stripe's form encoding, parameter checking, and the HTTP server's
connections (kept alive, dropped on purpose, closed on stop)."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from plugins.stripe.simulator import Faults, Simulator, SimulatorServer, StripeError
from plugins.stripe.simulator.forms import parse_form
from plugins.stripe.simulator.params import Params

AUTH = {"Authorization": "Bearer sk_test_wire"}


def test_brackets_nest_and_arrays_index() -> None:
    parsed = parse_form("metadata[a]=1&metadata[b]=&lines[0][amount]=5&lines[0][period][start]=1"
                        "&lines[1][amount]=7&expand[]=x&expand[]=y&name=A%20B")
    assert parsed == {
        "metadata": {"a": "1", "b": ""},
        "lines": {"0": {"amount": "5", "period": {"start": "1"}}, "1": {"amount": "7"}},
        "expand": {"0": "x", "1": "y"},
        "name": "A B",
    }
    p = Params(parsed)
    assert [x.integer("amount") for x in p.hashes("lines")] == [5, 7]
    assert p.texts("expand") == ["x", "y"]


@pytest.mark.parametrize("body", ["a=1&a[b]=2", "a[b]=2&a=1", "a[b=1"])
def test_malformed_forms_are_refused(body: str) -> None:
    with pytest.raises(StripeError) as caught:
        parse_form(body)
    assert caught.value.status == 400


def test_params_read_strings_and_python_values_alike() -> None:
    p = Params({"n": "12", "m": 12, "t": "true", "f": False, "s": "", "d": "1.50"})
    assert p.integer("n") == p.integer("m") == 12
    assert p.flag("t") is True and p.flag("f") is False
    assert p.text("s") is None and str(p.decimal("d")) == "1.50"
    p.done()


def test_unknown_nested_parameters_are_named_in_full() -> None:
    p = Params({"address": {"city": "Oslo", "planet": "Earth"}})
    address = p.hash("address")
    assert address is not None and address.text("city") == "Oslo"
    with pytest.raises(StripeError) as caught:
        p.done()
    assert caught.value.param == "address[planet]"


def test_connections_are_kept_alive(server: SimulatorServer) -> None:
    with httpx.Client(base_url=server.url, headers=AUTH) as http:
        first = http.get("/v1/customers")
        second = http.get("/v1/customers")
    assert first.status_code == second.status_code == 200
    assert first.headers["Request-Id"] != second.headers["Request-Id"]
    assert first.headers["Stripe-Version"] == "2026-10-28.endive"


def test_a_drop_closes_the_socket_without_an_answer(server: SimulatorServer,
                                                    sim: Simulator) -> None:
    sim.script_fault("drop")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(b"GET /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    b"sk_test_x\r\n\r\n")
        assert raw.recv(100) == b""


def test_faults_can_be_limited_to_a_path(server: SimulatorServer, sim: Simulator) -> None:
    sim.faults = Faults(server_error=1.0, path="^/v1/invoices")
    with httpx.Client(base_url=server.url, headers=AUTH) as http:
        assert http.get("/v1/customers").status_code == 200
        assert http.get("/v1/invoices").status_code == 500
    sim.faults = Faults()


def test_stop_closes_idle_keep_alive_connections_and_joins_threads() -> None:
    before = set(threading.enumerate())
    server = SimulatorServer(Simulator()).start()
    http = httpx.Client(base_url=server.url, headers=AUTH)
    assert http.get("/v1/customers").status_code == 200  # the connection stays open
    server.stop()
    assert [t for t in threading.enumerate() if t not in before] == []
    with pytest.raises(httpx.TransportError):
        http.get("/v1/customers")
    http.close()


def test_request_counts_per_endpoint(server: SimulatorServer, sim: Simulator) -> None:
    with httpx.Client(base_url=server.url, headers=AUTH) as http:
        http.get("/v1/customers")
        http.get("/v1/customers/cus_x")
        http.get("/v1/customers/cus_y")
        http.post("/v1/customers", data={"name": "x"})
        http.get("/v1/nothing")
    assert sim.request_counts == {"GET /v1/customers": 1, "GET /v1/customers/{id}": 2,
                                  "POST /v1/customers": 1, "GET (unknown)": 1}
    assert sim.request_total == 5
    sim.reset_request_counts()
    assert sim.request_total == 0


def test_http_knobs_are_off_unless_asked_for(server: SimulatorServer) -> None:
    with httpx.Client(base_url=server.url, headers=AUTH) as http:
        answer = http.post("/_simulator/faults", json={"server_error": 1.0})
    assert answer.status_code == 404 and "Unrecognized request URL" in answer.text
