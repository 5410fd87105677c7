"""What a store can keep, checked in the model so that SQLite and PostgreSQL agree.

SQLite keeps a string of any length in a ``VARCHAR(200)`` and PostgreSQL
refuses it; PostgreSQL refuses a NUL character in any text (neither can keep
a string that is not Unicode text, which pydantic's string fields refuse). A
record is checked against these limits when it is validated, so a value the store
would refuse is quarantined by its connector with a reason a person can read,
on either store, and the rest of the page is stored.

The lengths are those of the store's columns (``hub.store.schema``; a test
keeps the two equal): the text columns the reconciler filters on, which
each kind of record fills from the fields named in its ``store_limits``.
Amounts are kept in minor units in a signed 64-bit integer; their range is
checked with their precision (:func:`hub.models.base.check_size`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

SOURCE_LENGTH = 200
"""A connector instance's name (``records.source``)."""
ID_LENGTH = 500
"""A record's id in its source (``records.external_id``)."""
NUMBER_LENGTH = 200
"""A document number or a payment's reference (``records.number``)."""
NAME_LENGTH = 500
"""A customer's or payer's name (``records.party``), a customer reference
(``records.customer_ref``), an address a reminder is sent to, an alias."""
STATUS_LENGTH = 32
"""A record's status in its source's words (``records.status``)."""

EXCERPT_LENGTH = 200
"""Characters of a value that findings, reports and pages quote at most."""

Limits = tuple[tuple[str, int], ...]
"""(field, the most characters the store keeps of it) of one kind of record."""


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """``text``, or its first ``limit`` characters and how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters in all)"


def excerpts(value: Any, limit: int = EXCERPT_LENGTH) -> Any:
    """``value`` (JSON-like: dicts, lists, text) with every text longer than ``limit``
    cut to its :func:`excerpt`."""
    if isinstance(value, str):
        return excerpt(value, limit)
    if isinstance(value, dict):
        return {key: excerpts(item, limit) for key, item in value.items()}
    if isinstance(value, list):
        return [excerpts(item, limit) for item in value]
    return value


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, text) of every string inside a field's value: lists, dicts, parts."""
    kind = type(value)
    if kind is str:
        yield path, value
    elif kind is list or kind is tuple:
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")
    elif kind is dict:
        for key, item in value.items():
            yield from _strings(key, f"{path} key")
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, BaseModel):
        for name, item in value.__dict__.items():
            yield from _strings(item, f"{path}.{name}")


def check_storable(fields: dict[str, Any], limits: Limits) -> None:
    """Raise a ``ValueError`` naming the first field a store could not keep.

    ``fields`` are a record's values as given (``raw`` is left out: it is
    kept as JSON, which escapes every character); ``limits`` the lengths of
    the fields kept in a column of their own. The message never quotes the
    value, which may be megabytes long: it gives its length or the place of
    the character. (Text that is not Unicode, an unpaired surrogate, is
    refused by the string fields' own validation.)
    """
    for name, limit in limits:
        value = fields.get(name)
        if type(value) is str and len(value) > limit and len(value.strip()) > limit:
            raise ValueError(
                f"{name} is {len(value):,} characters long; the store keeps at most {limit}")
    texts = []
    for name, value in fields.items():
        kind = type(value)
        if kind is str:
            texts.append(value)
        elif (kind in _NESTED or isinstance(value, BaseModel)) and name != "raw" and value:
            for path, text in _strings(value, name):
                if "\x00" in text:
                    raise ValueError(f"{path} {_NUL} (at {text.index(chr(0))})")
    if "\x00" in "".join(texts):
        for name, value in fields.items():
            if type(value) is str and "\x00" in value:
                raise ValueError(f"{name} {_NUL} (at {value.index(chr(0))})")


_NESTED = (list, tuple, dict)
_NUL = "contains a NUL character, which a store cannot keep"
