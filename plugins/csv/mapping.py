"""From CSV cells to canonical records, following a file's declared mapping.

A :class:`FileMapping` (with its preset merged in) is compiled once against
the file's header into :class:`RowMapper`: column lookups become list
indexes, number and date parsing become prepared functions. Building a
record from a row is then a handful of dictionary writes and one pydantic
validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from hub import ENTITY_MODELS, CanonicalRecord, FatalError
from plugins.csv.config import FileMapping
from plugins.csv.identity import RowIdentity
from plugins.csv.parsing import date_parser, number_parser
from plugins.csv.shaping import RowError, bank_fields, invoice_fields, payment_fields, readable

__all__ = ["FIELDS", "RowError", "RowMapper"]

TEXT, MONEY, DATE, STATUS = "text", "money", "date", "status"

FIELDS: dict[str, dict[str, str]] = {
    "customer": {
        "name": TEXT, "email": TEXT, "phone": TEXT, "currency": TEXT, "tax_id": TEXT,
        "terms": TEXT, "aliases": TEXT,
    },
    "invoice": {
        "number": TEXT, "customer_name": TEXT, "customer_ref": TEXT, "issue_date": DATE,
        "due_date": DATE, "terms": TEXT, "currency": TEXT, "total": MONEY, "tax": MONEY,
        "subtotal": MONEY, "amount_paid": MONEY, "balance": MONEY, "status": TEXT, "memo": TEXT,
        "line_description": TEXT, "line_quantity": MONEY, "line_unit_price": MONEY,
        "line_amount": MONEY, "line_item": TEXT, "line_currency": TEXT,
        "source_modified": TEXT,
    },
    "payment": {
        "amount": MONEY, "currency": TEXT, "received_date": DATE, "method": TEXT,
        "reference": TEXT, "memo": TEXT, "payer_name": TEXT, "customer_ref": TEXT,
        "invoice_ref": TEXT, "invoice_number": TEXT, "applied_amount": MONEY, "fee": MONEY,
        "refunded": MONEY, "status": TEXT,
    },
    "bank_transaction": {
        "booked_date": DATE, "value_date": DATE, "amount": MONEY, "debit": MONEY,
        "credit": MONEY, "currency": TEXT, "description": TEXT, "counterparty": TEXT,
        "reference": TEXT, "balance_after": MONEY, "account": TEXT, "category": TEXT,
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "customer": ("name",),
    "invoice": ("number", "issue_date"),
    "payment": ("amount", "received_date"),
    "bank_transaction": ("booked_date",),
}
LINE_FIELDS = ("line_description", "line_quantity", "line_unit_price", "line_amount", "line_item",
               "line_currency")


_Step = tuple[str, int, Callable[[Sequence[str]], str] | None, str, Callable[[str], Any] | None,
              bool]


@dataclass
class RowMapper:
    """A file mapping compiled against one header."""

    mapping: FileMapping
    header: list[str]
    source: str
    file_label: str
    getters: dict[str, Callable[[Sequence[str]], str]] = field(default_factory=dict)
    indexes: dict[str, int] = field(default_factory=dict)
    """The cell index of each field mapped to one column (most are)."""
    id_getter: Callable[[Sequence[str]], str] | None = None
    parse_number: Callable[[str], Decimal] = field(default=number_parser())
    parse_date: Callable[[str], date] = field(default=date_parser(None))
    line_mode: bool = False
    plan: list[_Step] = field(default_factory=list)
    identity: RowIdentity = field(default_factory=lambda: RowIdentity([]))

    @property
    def entity(self) -> str:
        return self.mapping.entity_name

    # ------------------------------------------------------------------ compile
    @classmethod
    def compile(cls, mapping: FileMapping, header: list[str], *, source: str, file_label: str,
                connector: str) -> RowMapper:
        entity = mapping.entity_name
        allowed = FIELDS[entity]
        index = {name: i for i, name in enumerate(header)}
        folded = {name.strip().lower(): i for i, name in enumerate(header)}

        def column(name: str, setting: str) -> int:
            if name in index:
                return index[name]
            if name.strip().lower() in folded:
                return folded[name.strip().lower()]
            raise FatalError(
                f"{file_label}: column {name!r} (mapped to `{setting}`) is not in the header; "
                f"the file's columns are: {', '.join(header)}",
                connector=connector,
                hint="fix the column name in the config, or check `skip_rows`/`delimiter`",
            )

        def getter_for(setting: str, names: str | list[str]) -> Callable[[Sequence[str]], str]:
            if isinstance(names, str) or len(names) == 1:
                i = column(names if isinstance(names, str) else names[0], setting)
                return lambda cells: cells[i].strip()
            idx = [column(n, setting) for n in names]
            return lambda cells: " ".join(s for s in (cells[i].strip() for i in idx) if s)

        mapper = cls(mapping=mapping, header=header, source=source, file_label=file_label)
        for fname, names in mapping.columns.items():
            if fname not in allowed:
                raise FatalError(
                    f"{file_label}: `{fname}` is not a {entity} field; "
                    f"mappable fields: {', '.join(allowed)}",
                    connector=connector, hint="fix the [files.columns] table in the config",
                )
            mapper.getters[fname] = getter_for(f"columns.{fname}", names)
            if isinstance(names, str):
                mapper.indexes[fname] = column(names, f"columns.{fname}")
        for fname in mapping.defaults:
            if fname not in allowed:
                raise FatalError(f"{file_label}: default for unknown {entity} field `{fname}`",
                                 connector=connector)
        for req in REQUIRED[entity]:
            if req not in mapper.getters and req not in mapping.defaults:
                raise FatalError(
                    f"{file_label}: no column is mapped to `{req}`, which a {entity} needs",
                    connector=connector, hint=f"add `{req} = \"<column name>\"` to its columns",
                )
        if entity == "bank_transaction" and "amount" not in mapper.getters and not (
            {"debit", "credit"} & set(mapper.getters)
        ):
            raise FatalError(f"{file_label}: map `amount`, or `debit` and `credit`",
                             connector=connector)
        if entity in ("invoice", "payment", "bank_transaction") and (
            "currency" not in mapper.getters and "currency" not in mapping.defaults
        ):
            raise FatalError(
                f"{file_label}: the currency is unknown",
                connector=connector,
                hint='map a `currency` column or set `defaults = { currency = "USD" }`',
            )
        if mapping.id_columns:
            mapper.id_getter = getter_for("id_columns", mapping.id_columns) if len(
                mapping.id_columns) == 1 else _joined([column(n, "id_columns")
                                                       for n in mapping.id_columns])
        elif entity == "invoice":
            mapper.id_getter = mapper.getters.get("number")
        mapper.line_mode = entity == "invoice" and any(f in mapper.getters for f in LINE_FIELDS)
        try:
            mapper.parse_number = number_parser(mapping.decimal or ".", mapping.thousands or "")
            mapper.parse_date = date_parser(mapping.date_format)
        except ValueError as exc:
            raise FatalError(f"{file_label}: {exc}", connector=connector) from None
        mapper.plan = mapper._make_plan()
        mapper.identity = RowIdentity.compile(
            entity, mapper.getters, mapping.defaults, allowed, mapper.parse_number,
            mapper.parse_date)
        return mapper

    # --------------------------------------------------------------- row level
    def raw_of(self, cells: Sequence[str]) -> dict[str, str]:
        return dict(zip(self.header, cells, strict=False))

    def external_id(self, cells: Sequence[str]) -> str | None:
        """The row's id from its id columns, or None when ids are derived from content."""
        if self.id_getter is None:
            return None
        value = self.id_getter(cells)
        if not value:
            raise RowError("the id column is empty")
        return value

    def derived_digest(self, cells: Sequence[str]) -> int:
        """The row's identity from its content (see :mod:`plugins.csv.identity`)."""
        return self.identity.digest(cells)

    def _text(self, values: dict[str, Any], cells: Sequence[str], name: str) -> str | None:
        getter = self.getters.get(name)
        value = getter(cells) if getter is not None else ""
        if not value:
            value = self.mapping.defaults.get(name, "")
        return value or None

    def _money(self, cells: Sequence[str], name: str) -> Decimal | None:
        getter = self.getters.get(name)
        text = getter(cells) if getter is not None else self.mapping.defaults.get(name, "")
        if not text:
            return None
        try:
            value = self.parse_number(text)
        except ValueError as exc:
            raise RowError(f"{self._col(name)}: {exc}") from None
        return -value if self.mapping.negate_amounts and name in ("amount", "total") else value

    def amount_of(self, cells: Sequence[str]) -> Decimal | None:
        """The row's ``amount``, or None when it is empty or does not parse."""
        try:
            return self._money(cells, "amount")
        except RowError:
            return None

    def _col(self, name: str) -> str:
        cols = self.mapping.columns.get(name)
        shown = cols if isinstance(cols, str) else " + ".join(cols or ["(default)"])
        return f"column {shown!r} ({name})"

    def _map_status(self, text: str) -> str:
        mapped = self.mapping.status_map.get(text)
        if mapped is None:
            mapped = self.mapping.status_map.get(text.strip().lower(), text.strip().lower())
        return mapped

    def _make_plan(self) -> list[_Step]:
        """What :meth:`fields` does for each field this file fills, worked out once per file.

        (field, cell index or -1, getter, default, parser, negate): the status is
        parsed through the file's status map, dates through a small memory.
        """
        parsers: dict[str, Callable[[str], Any] | None] = {
            TEXT: None, MONEY: self.parse_number, DATE: _cached(self.parse_date),
            STATUS: self._map_status}
        negate = self.mapping.negate_amounts
        kinds = {**FIELDS[self.entity], "status": STATUS}
        return [
            (name, self.indexes.get(name, -1), self.getters.get(name),
             self.mapping.defaults.get(name, ""), parsers[kind],
             negate and name in ("amount", "total"))
            for name, kind in kinds.items()
            if not name.startswith("line_") and name not in ("debit", "credit")
            and (name in self.getters or name in self.mapping.defaults)
        ]

    def fields(self, cells: Sequence[str]) -> dict[str, Any]:
        """The canonical fields one row gives (no lines; see :meth:`build`)."""
        out: dict[str, Any] = {}
        for name, index, getter, default, parse, negate in self.plan:
            if index >= 0:
                text = cells[index].strip() or default
            else:
                text = (getter(cells) if getter is not None else "") or default
            if not text:
                continue
            if parse is None:
                out[name] = text
                continue
            try:
                value = parse(text)
            except ValueError as exc:
                raise RowError(f"{self._col(name)}: {exc}") from None
            out[name] = -value if negate else value
        return out

    def line(self, cells: Sequence[str]) -> dict[str, Any] | None:
        line: dict[str, Any] = {}
        for name in LINE_FIELDS:
            short = name[5:]
            if name in ("line_quantity", "line_unit_price", "line_amount"):
                value: Any = self._money(cells, name)
            else:
                value = self._text(line, cells, name)
            if value is not None:
                line["item" if short == "item" else short] = value
        if not line:
            return None
        if "amount" not in line:
            if "quantity" in line and "unit_price" in line:
                line["amount"] = line["quantity"] * line["unit_price"]
            else:
                raise RowError("the line has no amount (map `line_amount`, or quantity and price)")
        return line

    def build(self, external_id: str, rows: Sequence[Sequence[str]], raw: dict[str, Any]
              ) -> CanonicalRecord:
        """Validate ``rows`` (one, or an invoice's line rows) as one canonical record."""
        values = self.fields(rows[0])
        entity = self.entity
        if entity == "customer" and "aliases" in values:
            values["aliases"] = [a.strip() for a in re.split(r"[|;]", values["aliases"])
                                 if a.strip()]
        if entity == "invoice":
            invoice_fields(values)
            if self.line_mode:
                lines = [ln for ln in (self.line(r) for r in rows) if ln is not None]
                values["lines"] = lines
        elif entity == "payment":
            payment_fields(values)
        elif entity == "bank_transaction":
            bank_fields(values, self._money(rows[0], "debit"), self._money(rows[0], "credit"))
        values["source"] = self.source
        values["external_id"] = external_id
        values["raw"] = raw
        try:
            return ENTITY_MODELS[entity].model_validate(values)
        except ValidationError as exc:
            raise RowError(readable(exc)) from None


def _cached(parse: Callable[[str], date]) -> Callable[[str], date]:
    """``parse`` remembering its recent answers: a file repeats the same few dates."""
    cache: dict[str, date] = {}

    def parse_cached(text: str) -> date:
        value = cache.get(text)
        if value is None:
            value = parse(text)  # an error is raised every time, never remembered
            if len(cache) >= 4096:
                cache.clear()
            cache[text] = value
        return value

    return parse_cached


def _joined(idx: list[int]) -> Callable[[Sequence[str]], str]:
    return lambda cells: "|".join(cells[i].strip() for i in idx)
