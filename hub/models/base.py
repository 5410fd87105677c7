"""What every canonical record shares: where it came from and what it said."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.errors import CurrencyError
from hub.models.limits import ID_LENGTH, SOURCE_LENGTH, Limits, check_storable
from hub.money import (
    MAX_MINOR_UNITS,
    fits_currency,
    from_minor_units,
    quantize,
    quantum,
    to_minor_units,
)

NonEmpty = Annotated[str, Field(min_length=1)]


class CanonicalRecord(BaseModel):
    """Base of Customer, Invoice, Payment and the other canonical records.

    ``source`` is the connector instance that produced the record (``stripe``,
    ``bank``), ``external_id`` the source's own id for it, ``source_modified``
    the source's own last-modified time when it has one, and ``raw`` the payload
    exactly as the source gave it, so any figure can be traced back.

    Every value must be one the store can keep (:mod:`hub.models.limits`):
    no field longer than its column (``store_limits``), no NUL character and
    nothing that is not Unicode text, so that a record is refused the same
    way on SQLite and PostgreSQL, by its connector, with a readable reason.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=True,
        validate_default=False,
    )

    entity: ClassVar[str]
    store_limits: ClassVar[Limits] = (("source", SOURCE_LENGTH), ("external_id", ID_LENGTH))
    """(field, most characters) of the fields the store keeps in a column of their own."""

    source: NonEmpty
    external_id: NonEmpty
    source_modified: datetime | None = None
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _no_floats(cls, data: Any) -> Any:
        """Refuse a float anywhere in the record (``raw`` aside): 0.1 is not money; and a
        value the store could not keep (too long for its column, a NUL character)."""
        if isinstance(data, dict):
            check_storable(data, cls.store_limits)
            for name, value in data.items():
                # Exact types first: most values are strings, Decimals and dates.
                if type(value) not in _PLAIN and isinstance(value, _FLOAT_OR_NESTED) and (
                    name != "raw"
                ):
                    _refuse_float(name, value)
        return data



class ExactParts(BaseModel):
    """Base of the parts of a record (invoice lines, payment applications).

    Refuses a float in its own fields, so that a part built on its own
    (``InvoiceLine(amount=0.1)``) cannot carry a float into a record.
    """

    @model_validator(mode="before")
    @classmethod
    def _no_floats(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                if isinstance(value, float):
                    _refuse_float(name, value)
        return data


_FLOAT_OR_NESTED = (float, dict, list)
_PLAIN = frozenset({str, Decimal, date, datetime, int, bool, type(None)})
"""Types that are neither a float nor can hold one (exactly these, not subclasses)."""


def _refuse_float(path: str, value: Any) -> None:
    if isinstance(value, float):
        raise ValueError(
            f"{path} is the float {value!r}; amounts must be exact: pass a string or a Decimal"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if type(item) not in _PLAIN:  # nothing to look into: no path to format
                _refuse_float(f"{path}.{key}", item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if type(item) not in _PLAIN:
                _refuse_float(f"{path}[{i}]", item)


def check_precision(model: str, field: str, value: Decimal | None, currency: str) -> None:
    """Raise a ``ValueError`` naming the field when ``value`` is finer than the currency."""
    if value is None:
        return
    try:  # the common case, cheaply: finite, exact at the currency's precision, not huge
        if value.adjusted() < 14 and value.quantize(quantum(currency)) == value:
            return
    except (ArithmeticError, CurrencyError):
        pass  # NaN, infinity, too many digits, unknown currency: explained below
    if not value.is_finite():
        raise ValueError(f"{field} must be a finite amount, got {value}")
    if not fits_currency(value, currency):
        try:
            quantize(value, currency)
        except CurrencyError as exc:
            raise ValueError(f"{field}: {exc.message}") from None
    check_size(field, value, currency)


def all_exact(values: Iterable[Decimal | None], currency: str) -> bool:
    """Whether :func:`check_precision` would pass each of ``values`` at once, cheaply.

    True: every value is None, or finite, exact at the currency's precision
    and not huge (the common case: nothing to explain). False: at least one
    is not, or the currency is unknown; :func:`check_precision` on each, in
    order, then says which and why.
    """
    try:
        q = quantum(currency)
        for value in values:
            if value is not None and not (value.adjusted() < 14 and value.quantize(q) == value):
                return False
    except (ArithmeticError, CurrencyError):
        return False
    return True


def check_size(field: str, value: Decimal | None, currency: str) -> None:
    """Raise a ``ValueError`` naming the field when ``value`` is too large for the store."""
    if value is None or not value or value.adjusted() < 14:  # under 10**18 minor units
        return
    try:
        units = to_minor_units(value, currency)
    except CurrencyError:
        units = MAX_MINOR_UNITS + 1
    if abs(units) > MAX_MINOR_UNITS:
        largest = from_minor_units(MAX_MINOR_UNITS, currency)
        raise ValueError(
            f"{field} {value} {currency} is too large to be an amount "
            f"(at most {largest:,} {currency})"
        )


def check_same_currency(field: str, value: str | None, document_currency: str) -> None:
    if value is not None and value != document_currency:
        raise ValueError(
            f"{field} is in {value} but the document is in {document_currency}: "
            "one document cannot mix currencies"
        )


def as_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value
