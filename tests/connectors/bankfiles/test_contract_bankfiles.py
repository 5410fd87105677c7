"""The bank-statement connector against the connector contract (hub.testing).

Its "remote system" is a folder of statements: the harness writes one
camt.053 file holding the seeded entries (balances that add up) and, for the
malformed case, one more entry whose amount is not a number.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from hub.testing import ConnectorContract, ConnectorHarness

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def _entry(ref: str, amount: str, day: int) -> str:
    return (f"<Ntry><Amt Ccy=\"CHF\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
            f"<Sts>BOOK</Sts><BookgDt><Dt>2024-05-{day:02}</Dt></BookgDt>"
            f"<ValDt><Dt>2024-05-{day:02}</Dt></ValDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
            f"<NtryDtls><TxDtls><RmtInf><Ustrd>Transfer {ref}</Ustrd></RmtInf></TxDtls>"
            "</NtryDtls></Ntry>")


def _statement(entries: list[str], total: Decimal) -> str:
    return (f"<?xml version=\"1.0\"?><Document xmlns=\"{NS}\"><BkToCstmrStmt><Stmt>"
            "<Id>S-1</Id><Acct><Id><IBAN>CH9300762011623852957</IBAN></Id><Ccy>CHF</Ccy></Acct>"
            "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"CHF\">0.00</Amt>"
            "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-05-01</Dt></Dt></Bal>"
            "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>"
            f"<Amt Ccy=\"CHF\">{total}</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
            "<Dt><Dt>2024-05-31</Dt></Dt></Bal>"
            + "".join(entries) + "</Stmt></BkToCstmrStmt></Document>")


class BankfilesHarness(ConnectorHarness):
    """A folder with one camt.053 statement."""

    connector_type = "bankfiles"
    plugin_name = "bankfiles"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.entries: list[str] = []
        self.total = Decimal("0.00")

    def _write(self) -> None:
        folder = self.workdir / "statements"
        folder.mkdir(exist_ok=True)
        (folder / "camt053.xml").write_text(_statement(self.entries, self.total), "utf-8")

    def seed(self, entity: str, count: int) -> list[str]:
        refs = [f"REF{i:04}" for i in range(count)]
        for i, ref in enumerate(refs):
            amount = Decimal(f"{100 + i}.25")
            self.entries.append(_entry(ref, str(amount), 1 + i % 28))
            self.total += amount
        self._write()
        return refs

    def add_malformed(self, entity: str) -> None:
        self.entries.append(_entry("REF-BAD", "twelve", 9))
        self._write()

    def config(self) -> Mapping[str, Any]:
        (self.workdir / "statements").mkdir(exist_ok=True)
        return {"path": "statements", "pattern": "*.xml", "page_size": self.page_size}


class TestBankfilesContract(ConnectorContract):
    harness = BankfilesHarness
