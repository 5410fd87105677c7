"""A deterministic sample company, the way QuickBooks' sandbox companies look.

    seed(sim, customers=20, invoices=60, seed=1)

It makes items; customers (the first is "Amy's Bird Sanctuary"; about two in
three have an email; addresses carry the API's noise, ``"Lat": "INVALID"``;
one customer is billed in EUR); invoices of one to three
``SalesItemLineDetail`` lines (Qty x UnitPrice) plus the computed
``SubTotalLineDetail`` line, some taxed (``TxnTaxDetail.TotalTax``); payments
fully applied, partly applied, applied to several invoices at once, not
applied at all (``UnappliedAmt``) and over-paid; credit memos, one of them
used against an invoice (``RemainingCredit``). Everything goes through the
simulator's own rules, so totals, balances and links agree both ways.

The history is spread over the 20 days before the clock's current time (the
clock is moved back, then returned to where it was), so ``MetaData`` times
differ and all of it is within CDC's 30-day window. The same ``seed`` gives
the same objects.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from plugins.quickbooks.simulator.app import QboSimulator
from plugins.quickbooks.simulator.wire import money

HISTORY = timedelta(days=20)

ITEMS = (("Services", "0"), ("Design", "75"), ("Gardening", "25"), ("Hours", "15"),
         ("Pest Control", "35"), ("Rock Fountain", "275"), ("Sprinkler Heads", "2"),
         ("Installation", "50"))
FIRST = ("Amy's Bird Sanctuary", "Bill's Windsurf Shop", "Müller Gartenbau GmbH",
         "Cool Cars", "Diego Rodriguez", "Dukes Basketball Camp", "Dylan Sollfrank",
         "Freeman Sporting Goods", "Geeta Kalapatapu", "Gevelber Photography",
         "Jeff's Jalopies", "John Melton", "Kate Whelan", "Kookies by Kathy",
         "Mark Cho", "Paulsen Medical Supplies", "Pye's Cakes", "Rago Travel Agency",
         "Red Rock Diner", "Rondonuwu Fruit and Vegi", "Shara Barnett", "Sonnenschein Family "
         "Store", "Sushi by Katsuyuki", "Travis Waldron", "Video Games by Dan",
         "Wedding Planning by Whitney", "Weiskopf Consulting")
STREETS = ("Finch St.", "Cypress Hill Ave.", "Sierra Way", "Main St.", "Oak Blvd.",
           "Harbor Dr.", "Lake Rd.")
CITIES = (("Bayshore", "CA", "94326"), ("Middlefield", "CA", "94303"),
          ("Tucson", "AZ", "85719"), ("Half Moon Bay", "CA", "94213"),
          ("Sunnyvale", "CA", "94086"))
EUR_CUSTOMER = 2
"""Index of the customer billed in EUR."""
TAX_RATE = Decimal("0.0825")


def seed(sim: QboSimulator, *, customers: int = 20, invoices: int = 60, seed: int = 1) -> None:
    """Fill the default company of ``sim`` (expected empty) with a sample company."""
    if customers < 3:
        raise ValueError("a seeded company has at least 3 customers")
    rng = random.Random(seed)
    clock = sim.clock
    was_frozen = clock.frozen
    end = clock.now()
    steps = customers + len(ITEMS) + invoices * 2 + 8
    step = HISTORY / steps
    clock.freeze(end - HISTORY)

    def tick() -> None:
        clock.advance(step.total_seconds())

    try:
        items = []
        for name, price in ITEMS:
            items.append(sim.create("Item", {"Name": name, "UnitPrice": Decimal(price),
                                             "Type": "Service"}))
            tick()
        people = []
        for index in range(customers):
            people.append(sim.create("Customer", _customer(rng, index)))
            tick()
        made: list[dict[str, Any]] = []
        for index in range(invoices):
            customer = people[EUR_CUSTOMER] if index == 1 else people[rng.randrange(customers)]
            made.append(sim.create("Invoice", _invoice(rng, customer, items[1:], end, index)))
            tick()
        _payments(sim, rng, made, tick)
        _credit_memos(sim, rng, people, items, made, tick)
    finally:
        clock.freeze(max(end, clock.now()))
        if not was_frozen:
            clock.resume()


def _customer(rng: random.Random, index: int) -> dict[str, Any]:
    name = FIRST[index] if index < len(FIRST) else f"{FIRST[index % len(FIRST)]} {index}"
    city, state, postal = CITIES[rng.randrange(len(CITIES))]
    address: dict[str, Any] = {"Line1": f"{rng.randint(100, 9999)} "
                                        f"{STREETS[rng.randrange(len(STREETS))]}",
                               "City": city, "CountrySubDivisionCode": state,
                               "PostalCode": postal}
    if index == 0 or rng.random() < 0.5:
        address.update({"Lat": "INVALID", "Long": "INVALID"})
    else:
        address.update({"Lat": f"{rng.uniform(30, 45):.7f}",
                        "Long": f"{-rng.uniform(100, 123):.7f}"})
    body: dict[str, Any] = {"DisplayName": name, "BillAddr": address,
                            "ShipAddr": dict(address)}
    if " " in name and "'" not in name and index % 2:
        given, _, family = name.partition(" ")
        body.update({"GivenName": given, "FamilyName": family})
    if index == 0 or rng.random() < 0.66:
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:18]
        body["PrimaryEmailAddr"] = {"Address": f"{slug}@example.com"}
    if index == EUR_CUSTOMER:
        body["CurrencyRef"] = {"value": "EUR"}
    return body


def _invoice(rng: random.Random, customer: dict[str, Any], items: list[dict[str, Any]],
             end: datetime, index: int) -> dict[str, Any]:
    lines = []
    subtotal = Decimal(0)
    for _ in range(rng.randint(1, 3)):
        item = items[rng.randrange(len(items))]
        qty = Decimal(rng.randint(1, 8))
        price = item["UnitPrice"]
        lines.append({"DetailType": "SalesItemLineDetail", "Amount": money(qty * price),
                      "Description": item["Name"],
                      "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": qty,
                                              "UnitPrice": price,
                                              "TaxCodeRef": {"value": "TAX"}}})
        subtotal += money(qty * price)
    txn_date = (end - HISTORY - timedelta(days=40 - index % 40)).date()
    body: dict[str, Any] = {"CustomerRef": {"value": customer["Id"]}, "Line": lines,
                            "TxnDate": txn_date.isoformat(),
                            "DueDate": (txn_date + timedelta(days=30)).isoformat()}
    if customer["CurrencyRef"]["value"] == "EUR":
        body["ExchangeRate"] = Decimal("1.08")
    elif rng.random() < 0.5:
        body["TxnTaxDetail"] = {"TotalTax": money(subtotal * TAX_RATE)}
    return body


def _payments(sim: QboSimulator, rng: random.Random, invoices: list[dict[str, Any]],
              tick: Any) -> None:
    def pay(customer: str, total: Decimal, lines: list[tuple[dict[str, Any], Decimal]],
            **extra: Any) -> None:
        body: dict[str, Any] = {
            "CustomerRef": {"value": customer}, "TotalAmt": total,
            "PaymentRefNum": str(rng.randint(1000, 9999)),
            "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": inv["Id"],
                                                        "TxnType": "Invoice"}]}
                     for inv, amount in lines], **extra}
        sim.create("Payment", body)
        tick()

    by_customer: dict[str, list[dict[str, Any]]] = {}
    for invoice in invoices:
        by_customer.setdefault(invoice["CustomerRef"]["value"], []).append(invoice)
    used: set[str] = set()
    # one payment applied to several invoices of one customer
    for customer, theirs in by_customer.items():
        if len(theirs) >= 3 and theirs[0]["CurrencyRef"]["value"] == "USD":
            chosen = theirs[:3]
            total = sum((inv["TotalAmt"] for inv in chosen[:2]), Decimal(0))
            half = money(chosen[2]["TotalAmt"] / 2)
            pay(customer, total + half, [(chosen[0], chosen[0]["TotalAmt"]),
                                         (chosen[1], chosen[1]["TotalAmt"]), (chosen[2], half)])
            used.update(inv["Id"] for inv in chosen)
            break
    for index, invoice in enumerate(invoices):
        if invoice["Id"] in used:
            continue
        customer = invoice["CustomerRef"]["value"]
        fresh = sim.get("Invoice", invoice["Id"])
        if index % 3 == 0 or index == 1:  # paid in full (the EUR one too)
            pay(customer, fresh["Balance"], [(fresh, fresh["Balance"])],
                CurrencyRef=fresh["CurrencyRef"], ExchangeRate=fresh.get("ExchangeRate"))
        elif index % 5 == 0:  # partly paid
            part = money(fresh["Balance"] * Decimal(rng.choice((25, 40, 50))) / 100)
            pay(customer, part, [(fresh, part)])
        elif index % 7 == 0:  # over-paid: the rest stays unapplied
            pay(customer, fresh["Balance"] + Decimal(20), [(fresh, fresh["Balance"])])
    # payments not applied to anything
    for invoice in invoices[4:6]:
        pay(invoice["CustomerRef"]["value"], Decimal(rng.randint(5, 50) * 10), [],
            PrivateNote="Deposit, not applied")


def _credit_memos(sim: QboSimulator, rng: random.Random, people: list[dict[str, Any]],
                  items: list[dict[str, Any]], invoices: list[dict[str, Any]],
                  tick: Any) -> None:
    memos = []
    for customer in (people[0], people[1], people[3]):
        amount = Decimal(rng.randint(2, 8) * 25)
        memos.append(sim.create("CreditMemo", {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": amount,
                      "Description": "Goodwill credit",
                      "SalesItemLineDetail": {"ItemRef": {"value": items[0]["Id"]}}}]}))
        tick()
    memo = memos[0]
    for invoice in invoices:
        fresh = sim.get("Invoice", invoice["Id"])
        if (fresh["CustomerRef"]["value"] == memo["CustomerRef"]["value"]
                and fresh["Balance"] > 0):
            used = min(fresh["Balance"], money(memo["TotalAmt"] / 2))
            sim.create("Payment", {
                "CustomerRef": {"value": memo["CustomerRef"]["value"]}, "TotalAmt": 0,
                "Line": [{"Amount": used, "LinkedTxn": [{"TxnId": fresh["Id"],
                                                         "TxnType": "Invoice"}]},
                         {"Amount": used, "LinkedTxn": [{"TxnId": memo["Id"],
                                                         "TxnType": "CreditMemo"}]}]})
            tick()
            break
