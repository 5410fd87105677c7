"""How a CSV file maps onto canonical records: the connector's TOML section.

::

    [connectors.bank]
    type = "csv"
    removed_rows = "delete"              # or "delete-on-full-sync" / "keep"

    [[connectors.bank.files]]
    path = "exports/ubs.csv"             # relative to the config file
    entity = "bank_transaction"          # customer | invoice | payment | bank_transaction
    preset = "bank-debit-credit"         # optional: a named starting point
    encoding = "utf-8"                   # utf-8 (a BOM is fine), cp1252, latin-1
    delimiter = ";"                      # "," ";" "\\t" or "auto"
    decimal = "."                        # "." or ","
    thousands = "'"                      # "" "," "." "'" or " "
    date_format = "%d.%m.%Y"             # strptime, or "iso" / "day-first" / "month-first"
    id_columns = ["N° de transaction"]   # default: derived from the row's content
    defaults = { currency = "CHF" }      # values for fields no column provides
    header = true                        # false: no header line, columns are "col1", "col2" ...
    skip_footer = 1                      # the last N non-blank rows are not data
    skip_when = [{ column = "Date de valeur", matches = "^(Total|Solde)" }]
    control_total = { column = "Date", matches = "^Total$", amount = "Amount" }
    money_out = "skip"                   # payment files: skip rows with amount <= 0
    max_cell_bytes = 65536               # a longer cell quarantines its row (64 KiB)
    max_row_bytes = 1048576              # so does a longer row (1 MiB)

    [connectors.bank.files.columns]      # canonical field = column (or columns, joined)
    booked_date = "Date de valeur"
    description = ["Description 1", "Description 2"]
    debit = "Débit"
    credit = "Crédit"
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Entity = Literal["customer", "invoice", "payment", "bank_transaction"]
Encoding = Literal["utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-1", "iso-8859-15"]


POSITION = re.compile(r"col([1-9][0-9]*)", re.IGNORECASE)
"""A column named by its position in a file without a header: ``col1`` is the first."""


class SkipRule(BaseModel):
    """Rows whose ``column`` matches ``matches`` (a regular expression, searched in the
    stripped cell, case-insensitive) are not data: a total, a closing balance, a count."""

    model_config = ConfigDict(extra="forbid")

    column: str
    matches: str

    @field_validator("matches")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"{value!r} is not a regular expression: {exc}") from None
        return value

    def describe(self) -> str:
        return f"{self.column} matches {self.matches!r}"


class ControlTotal(BaseModel):
    """The file's own control-total row (a trailer such as ``Total,,,12345.67``).

    The row whose ``column`` matches ``matches`` (a regular expression, searched in the
    stripped cell, case-insensitive) is not data: its ``amount`` cell states the sum of the
    file's amounts, its ``count`` cell the number of its records (the first whole number
    in the cell: ``"12 transactions"``). The sync compares them with what it stored from
    the file, and a difference is an ``incomplete_sync`` finding. ``currency`` is the
    stated sum's; by default the file's ``defaults.currency`` or, failing that, the one
    currency of its records.
    """

    model_config = ConfigDict(extra="forbid")

    column: str
    matches: str
    amount: str | None = None
    count: str | None = None
    currency: str | None = None

    @field_validator("matches")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"{value!r} is not a regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _states_something(self) -> ControlTotal:
        if self.amount is None and self.count is None:
            raise ValueError("control_total needs `amount` (the column of the stated sum), "
                             "`count` (the column of the stated number of rows), or both")
        return self


class FileMapping(BaseModel):
    """One CSV file (or a glob of files with the same layout) and how to read it."""

    model_config = ConfigDict(extra="forbid")

    path: str
    entity: Entity | None = None
    preset: str | None = None
    encoding: Encoding | None = None
    delimiter: str | None = None
    quotechar: str = '"'
    decimal: Literal[".", ","] | None = None
    thousands: Literal["", ",", ".", "'", " ", "\u00a0", "\u202f"] | None = None
    date_format: str | None = None
    skip_rows: int = Field(default=0, ge=0)
    id_columns: list[str] | None = None
    columns: dict[str, str | list[str]] = Field(default_factory=dict)
    defaults: dict[str, str] = Field(default_factory=dict)
    status_map: dict[str, str] = Field(default_factory=dict)
    negate_amounts: bool = False
    header: bool = True
    skip_footer: int = Field(default=0, ge=0)
    skip_when: list[SkipRule] = Field(default_factory=list)
    money_out: Literal["skip", "quarantine"] | None = None
    control_total: ControlTotal | None = None
    """The file's control-total row, compared with what the sync stored from the file."""
    max_cell_bytes: int = Field(default=64 * 1024, ge=16, le=64 * 1024 * 1024)
    """A cell longer than this (in bytes, as the file has it) quarantines its row, with its
    size and a sample; so does a quoted field still open this far past its quote."""
    max_row_bytes: int = Field(default=1024 * 1024, ge=16, le=256 * 1024 * 1024)
    """A line longer than this quarantines its row; the rest of the line is never held."""

    @model_validator(mode="after")
    def _entity_known(self) -> FileMapping:
        if self.entity is None and self.preset is None:
            raise ValueError(
                "say what the file holds: entity = customer | invoice | payment | "
                "bank_transaction (or use a preset)"
            )
        if self.max_cell_bytes > self.max_row_bytes:
            raise ValueError("max_cell_bytes cannot be more than max_row_bytes")
        if self.money_out is not None and self.entity not in (None, "payment"):
            raise ValueError("money_out applies to payment files only (a bank_transaction "
                             "file keeps money out as negative amounts)")
        if not self.header:
            named = [*(n for v in self.columns.values() for n in ([v] if isinstance(v, str)
                                                                   else v) if n),
                     *(self.id_columns or ()), *(r.column for r in self.skip_when),
                     *((c.column, c.amount, c.count) if (c := self.control_total) else ())]
            named = [n for n in named if n]
            wrong = [n for n in named if not POSITION.fullmatch(n.strip())]
            if wrong:
                raise ValueError(
                    f"with header = false, name columns by position (col1 is the first); "
                    f"not {', '.join(repr(n) for n in wrong)}")
        return self

    @property
    def entity_name(self) -> str:
        """The entity, once a preset has been merged in."""
        assert self.entity is not None, "merge the preset first"
        return self.entity

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, value: str | None) -> str | None:
        if value is None or value == "auto":
            return value
        if value in ("\\t", "tab"):
            return "\t"
        if len(value) != 1:
            raise ValueError('delimiter must be one character, "\\t" or "auto"')
        return value


class CsvConfig(BaseModel):
    """The CSV connector's section: a list of files."""

    model_config = ConfigDict(extra="forbid")

    files: list[FileMapping] = Field(min_length=1)
    page_size: int = Field(default=5000, ge=1, le=100_000)
    removed_rows: Literal["delete", "delete-on-full-sync", "keep"] = "delete"
    """What becomes of a stored record whose row is no longer in its file: marked deleted
    after any sync that read every file of its entity whole (``delete``), only after
    ``billing-hub sync --full`` (``delete-on-full-sync``), or never (``keep``)."""
