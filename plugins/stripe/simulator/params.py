"""Reading an endpoint's parameters the way Stripe validates them.

Each getter marks its parameter as read; :meth:`Params.done` then refuses any
parameter nobody read (``parameter_unknown``), as Stripe does. Values come
as strings from the wire, or as Python values when the seeder calls an
endpoint's operation directly; both read the same.

An empty string unsets a value (``description=`` clears the description,
``metadata[k]=`` drops one key, ``metadata=`` drops them all).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from plugins.stripe.simulator.errors import invalid, missing_param, unknown_param

METADATA_KEYS = 50
METADATA_KEY_LENGTH = 40
METADATA_VALUE_LENGTH = 500

_INT = re.compile(r"^-?\d+$")


class Params:
    """The parameters of one request (or one nested hash of them)."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self._data = data
        self._prefix = prefix
        self._read: set[str] = set()
        self._children: list[Params] = []

    def name(self, key: str) -> str:
        """The parameter's full name as Stripe reports it (``lines[0][amount]``)."""
        return f"{self._prefix}[{key}]" if self._prefix else key

    def has(self, key: str) -> bool:
        return key in self._data

    def names(self) -> list[str]:
        """The parameters given (read or not)."""
        return list(self._data)

    def raw(self, key: str) -> Any:
        self._read.add(key)
        return self._data.get(key)

    def skip(self, *keys: str) -> None:
        """Accept these parameters without reading them."""
        self._read.update(keys)

    def text(self, key: str, *, required: bool = False, max_length: int = 5000,
             choices: tuple[str, ...] | None = None) -> str | None:
        value = self.raw(key)
        if value is None:
            if required:
                raise missing_param(self.name(key))
            return None
        if isinstance(value, Mapping | list):
            raise invalid(f"Invalid string: {self.name(key)} must be a string", self.name(key))
        text = str(value)
        if text == "":
            if required:
                raise missing_param(self.name(key))
            return None
        if len(text) > max_length:
            raise invalid(f"Invalid string: {text[:20]}...; must be at most {max_length} "
                          "characters", self.name(key), "string_length")
        if choices is not None and text not in choices:
            raise invalid(f"Invalid {self.name(key)}: must be one of {', '.join(choices)}",
                          self.name(key))
        return text

    def integer(self, key: str, *, required: bool = False, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        value = self.raw(key)
        if value is None or value == "":
            if required:
                raise missing_param(self.name(key))
            return None
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and _INT.match(value))
        ):
            raise invalid(f"Invalid integer: {value}", self.name(key), "parameter_invalid_integer")
        number = int(value)
        if minimum is not None and number < minimum:
            raise invalid(f"This value must be greater than or equal to {minimum}.",
                          self.name(key), "parameter_invalid_integer")
        if maximum is not None and number > maximum:
            raise invalid(f"This value must be less than or equal to {maximum}.",
                          self.name(key), "parameter_invalid_integer")
        return number

    def decimal(self, key: str) -> Decimal | None:
        value = self.raw(key)
        if value is None or value == "":
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise invalid(f"Invalid decimal: {value}", self.name(key)) from None
        if not number.is_finite():
            raise invalid(f"Invalid decimal: {value}", self.name(key))
        return number

    def flag(self, key: str) -> bool | None:
        value = self.raw(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return bool(value)
        if value in ("true", "false"):
            return bool(value == "true")
        raise invalid(f"Invalid boolean: {value}", self.name(key))

    def hash(self, key: str, *, required: bool = False) -> Params | None:
        """A nested hash (``address[city]``...), itself checked for unknown keys."""
        value = self.raw(key)
        if value is None or value == "":
            if required:
                raise missing_param(self.name(key))
            return None
        if not isinstance(value, Mapping):
            raise invalid(f"Invalid hash: {self.name(key)} must be a hash", self.name(key))
        child = Params(value, self.name(key))
        self._children.append(child)
        return child

    def array(self, key: str) -> list[Any] | None:
        """An array: ``a[0]=..&a[1]=..``, ``a[]=..`` or a Python list."""
        value = self.raw(key)
        if value is None or value == "":
            return None
        if isinstance(value, list | tuple):
            return list(value)
        if isinstance(value, Mapping) and all(str(k).isdigit() for k in value):
            return [value[k] for k in sorted(value, key=int)]
        raise invalid(f"Invalid array: {self.name(key)} must be an array", self.name(key))

    def texts(self, key: str) -> list[str] | None:
        items = self.array(key)
        if items is None:
            return None
        if not all(isinstance(item, str) for item in items):
            raise invalid(f"Invalid array: {self.name(key)} must hold strings", self.name(key))
        return [str(item) for item in items]

    def hashes(self, key: str, *, required: bool = False) -> list[Params]:
        items = self.array(key)
        if items is None:
            if required:
                raise missing_param(self.name(key))
            return []
        out: list[Params] = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise invalid(f"Invalid hash: {self.name(key)}[{index}] must be a hash",
                              f"{self.name(key)}[{index}]")
            child = Params(item, f"{self.name(key)}[{index}]")
            self._children.append(child)
            out.append(child)
        return out

    def metadata(self, current: Mapping[str, str], key: str = "metadata") -> dict[str, str]:
        """``current`` with this request's metadata changes applied, checked against
        Stripe's limits (50 keys, keys up to 40 characters, values up to 500)."""
        value = self.raw(key)
        if value is None:
            return dict(current)
        if value == "":
            return {}
        if not isinstance(value, Mapping):
            raise invalid("Invalid hash: metadata must be a hash", self.name(key))
        merged = dict(current)
        for meta_key, meta_value in value.items():
            meta_key = str(meta_key)
            if isinstance(meta_value, Mapping | list):
                raise invalid(f"Invalid metadata[{meta_key}]: must be a string",
                              f"{self.name(key)}[{meta_key}]")
            text = "" if meta_value is None else str(meta_value)
            if len(meta_key) > METADATA_KEY_LENGTH:
                raise invalid(f"Metadata keys can have up to {METADATA_KEY_LENGTH} characters; "
                              f"'{meta_key}' has {len(meta_key)}", f"{self.name(key)}[{meta_key}]")
            if len(text) > METADATA_VALUE_LENGTH:
                raise invalid(f"Metadata values can have up to {METADATA_VALUE_LENGTH} "
                              f"characters; the value of '{meta_key}' has {len(text)}",
                              f"{self.name(key)}[{meta_key}]")
            if text == "":
                merged.pop(meta_key, None)
            else:
                merged[meta_key] = text
        if len(merged) > METADATA_KEYS:
            raise invalid(f"Metadata can have up to {METADATA_KEYS} keys; this request would "
                          f"leave {len(merged)}", self.name(key))
        return merged

    def done(self) -> None:
        """Refuse the first parameter no getter read (``parameter_unknown``)."""
        for key in self._data:
            if key not in self._read:
                raise unknown_param(self.name(key))
        for child in self._children:
            child.done()
