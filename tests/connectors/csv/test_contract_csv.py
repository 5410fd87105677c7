"""The CSV connector against the connector contract (hub.testing).

The "remote system" of a CSV connector is a folder of exports: the harness
writes one file per entity and the connector reads it in pages of three.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hub.testing import ConnectorContract, ConnectorHarness

# entity -> (header, id column, columns mapping, a row for record i, a row that must be rejected)
_LAYOUTS: dict[str, dict[str, Any]] = {
    "customer": {
        "header": ["Customer ID", "Name", "Email"],
        "columns": {"name": "Name", "email": "Email"},
        "row": lambda i: [f"C{i:03}", f"Customer {i}", f"ap{i}@example.com"],
        "bad": ["C999", "", "nobody@example.com"],
    },
    "invoice": {
        "header": ["Invoice ID", "Number", "Date", "Customer", "Total", "Currency"],
        "columns": {"number": "Number", "issue_date": "Date", "customer_name": "Customer",
                    "total": "Total", "currency": "Currency"},
        "row": lambda i: [f"I{i:03}", f"INV-{1000 + i}", f"2024-03-{i + 1:02}", f"Customer {i}",
                          f"{100 + i}.50", "USD"],
        "bad": ["I999", "INV-1999", "2024-03-05", "Customer 9", "12,50.7", "USD"],
    },
    "payment": {
        "header": ["Payment ID", "Received", "Amount", "Currency", "Reference"],
        "columns": {"received_date": "Received", "amount": "Amount", "currency": "Currency",
                    "reference": "Reference"},
        "row": lambda i: [f"P{i:03}", f"2024-04-{i + 1:02}", f"{200 + i}.00", "EUR", f"INV-{i}"],
        "bad": ["P999", "2024-02-30", "10.00", "EUR", "INV-9"],
    },
    "bank_transaction": {
        "header": ["Transaction", "Booked", "Amount", "Currency", "Text"],
        "columns": {"booked_date": "Booked", "amount": "Amount", "currency": "Currency",
                    "description": "Text"},
        "row": lambda i: [f"T{i:03}", f"2024-05-{i + 1:02}", f"{-30 - i}.25", "CHF",
                          f"Transfer {i}"],
        "bad": ["T999", "2024-05-09", "5.00", "XYZ", "Unknown currency"],
    },
}


class CsvHarness(ConnectorHarness):
    """One CSV export per entity in the check's folder."""

    connector_type = "csv"
    plugin_name = "csv"

    def _path(self, entity: str) -> Path:
        return self.workdir / f"{entity}s.csv"

    def _write(self, entity: str, rows: list[list[str]], mode: str = "w") -> None:
        with self._path(entity).open(mode, newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)

    def seed(self, entity: str, count: int) -> list[str]:
        layout = _LAYOUTS[entity]
        rows = [layout["row"](i) for i in range(count)]
        self._write(entity, [layout["header"], *rows])
        return [row[0] for row in rows]

    def add_malformed(self, entity: str) -> None:
        self._write(entity, [_LAYOUTS[entity]["bad"]], mode="a")

    def config(self) -> Mapping[str, Any]:
        files = [
            {"path": self._path(entity).name, "entity": entity, "date_format": "iso",
             "id_columns": [layout["header"][0]], "columns": layout["columns"]}
            for entity, layout in _LAYOUTS.items() if self._path(entity).exists()
        ]
        return {"files": files, "page_size": self.page_size}


class TestCsvContract(ConnectorContract):
    harness = CsvHarness
