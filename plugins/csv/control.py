"""A file's control-total row: found, read and turned into the file's stated totals.

The row is not data (it is counted as skipped, with its reason); its figures
go to the hub on the file's last page (:class:`hub.StatedTotals`, covering
the records read from the file), which compares them with what it stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from hub import FatalError, StatedTotals, normalize_currency
from plugins.csv.config import ControlTotal
from plugins.csv.mapping import RowMapper

SKIPPED = "control-total row(s) (control_total), compared with what was stored"
_WHOLE = re.compile(r"\d[\d,.' \u00a0]*")


@dataclass(slots=True)
class ControlRow:
    """The compiled ``control_total`` of one file, and what the file stated."""

    rule: ControlTotal
    mapper: RowMapper
    marker: int
    amount: int | None
    count: int | None
    line: int | None = None
    stated_amount: Decimal | None = None
    stated_count: int | None = None
    problem: str | None = None
    currencies: set[str] = field(default_factory=set)
    """The currencies of the records read from the file."""

    @classmethod
    def compile(cls, mapper: RowMapper) -> ControlRow | None:
        rule = mapper.mapping.control_total
        if rule is None:
            return None
        folded = {name.strip().lower(): i for i, name in enumerate(mapper.header)}

        def index(name: str | None, setting: str) -> int | None:
            if name is None:
                return None
            found = folded.get(name.strip().lower())
            if found is None:
                raise FatalError(
                    f"{mapper.file_label}: column {name!r} (in `control_total.{setting}`) is "
                    f"not in the header; the file's columns are: {', '.join(mapper.header)}",
                    connector=mapper.source, hint="fix the column name in `control_total`")
            return found

        marker = index(rule.column, "column")
        assert marker is not None
        return cls(rule, mapper, marker, index(rule.amount, "amount"),
                   index(rule.count, "count"))

    def matches(self, cells: Sequence[str]) -> bool:
        return (self.marker < len(cells) and re.search(
            self.rule.matches, cells[self.marker].strip(), re.IGNORECASE) is not None)

    def read(self, line: int, cells: Sequence[str]) -> None:
        """Take the figures of the control-total row on ``line``."""
        self.line = line
        if self.amount is not None:
            text = cells[self.amount].strip() if self.amount < len(cells) else ""
            try:
                self.stated_amount = self.mapper.parse_number(text)
            except (ValueError, ArithmeticError):
                self.problem = f"its amount {text!r} is not a number"
        if self.count is not None:
            text = cells[self.count].strip() if self.count < len(cells) else ""
            found = _WHOLE.search(text)
            digits = re.sub(r"\D", "", found.group()) if found else ""
            if digits:
                self.stated_count = int(digits)
            else:
                self.problem = f"its count {text!r} holds no number"

    def stated(self) -> tuple[StatedTotals | None, str | None]:
        """The file's stated totals, and a note when they cannot be (fully) compared."""
        label = self.mapper.file_label
        if self.line is None:
            return None, (f"{label}: no control-total row ({self.rule.column} matching "
                          f"{self.rule.matches!r}) was found; nothing to compare")
        if self.problem is not None:
            return None, f"{label} line {self.line}: the control-total row is unreadable: " \
                         f"{self.problem}"
        note = None
        sums: dict[str, Decimal] = {}
        if self.stated_amount is not None:
            currency = self.rule.currency or self.mapper.mapping.defaults.get("currency")
            if currency is None and len(self.currencies) == 1:
                currency = next(iter(self.currencies))
            if currency is None:
                note = (f"{label}: the control-total amount is not compared: the file holds "
                        "several currencies or none; set `control_total.currency`")
            else:
                sums[normalize_currency(currency)] = self.stated_amount
        if not sums and self.stated_count is None:
            return None, note
        return StatedTotals(basis=f"{label} line {self.line}: control-total row",
                            count=self.stated_count, sums=sums, covers="pull"), note
