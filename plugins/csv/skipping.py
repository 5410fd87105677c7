"""Rows a file's mapping declares are not data: totals, balances, counts, money out.

Such rows are neither records nor faults: they are counted by reason and the
sync's summary says how many each rule skipped. Nothing is left out silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from hub import FatalError
from plugins.csv.mapping import RowMapper

MONEY_OUT = ("rows of money out skipped (a payment file holds receipts; map a bank statement "
             "as bank_transaction to keep them)")


@dataclass(slots=True)
class SkipRules:
    """A file's skip rules, compiled against its header."""

    when: list[tuple[str, int, re.Pattern[str]]] = field(default_factory=list)
    """(reason, cell index, pattern) of each ``skip_when`` rule."""
    footer: str = ""
    money_out: str | None = None
    """The reason money-out rows are skipped for, or None when they are not."""
    mapper: RowMapper | None = None

    @classmethod
    def compile(cls, mapper: RowMapper) -> SkipRules:
        mapping = mapper.mapping
        folded = {name.strip().lower(): i for i, name in enumerate(mapper.header)}
        rules = cls(footer=f"rows skipped by rule (skip_footer = {mapping.skip_footer})",
                    mapper=mapper)
        for rule in mapping.skip_when:
            index = folded.get(rule.column.strip().lower())
            if index is None:
                raise FatalError(
                    f"{mapper.file_label}: column {rule.column!r} (in `skip_when`) is not in the "
                    f"header; the file's columns are: {', '.join(mapper.header)}",
                    connector=mapper.source, hint="fix the column name in `skip_when`")
            rules.when.append((f"rows skipped by rule ({rule.describe()})", index,
                               re.compile(rule.matches, re.IGNORECASE)))
        if mapper.entity == "payment" and (mapping.money_out or "skip") == "skip":
            rules.money_out = MONEY_OUT
        return rules

    def __bool__(self) -> bool:
        return bool(self.when)

    def matching(self, cells: Sequence[str]) -> str | None:
        """The reason of the first ``skip_when`` rule ``cells`` match, or None."""
        for reason, index, pattern in self.when:
            if index < len(cells) and pattern.search(cells[index].strip()):
                return reason
        return None

    def is_money_out(self, cells: Sequence[str]) -> bool:
        """Whether a payment row's amount is zero or less (an amount that does not parse is
        not: the row is quarantined with the reason)."""
        assert self.mapper is not None
        amount = self.mapper.amount_of(cells)
        return amount is not None and amount <= Decimal(0)
