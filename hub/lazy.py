"""Names of a package loaded when first used: how :mod:`hub` and :mod:`hub.testing` keep
``import hub`` cheap while offering every public name at the top."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_names(package: str, namespace: dict[str, Any], table: Mapping[str, tuple[str, ...]]
               ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` for the names of ``table``
    (module -> names): each is imported from its module on first use and kept in
    ``namespace`` (the package's globals), so the next lookup is a plain attribute."""
    where = {name: module for module, names in table.items() for name in names}

    def getattr_(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted({*namespace, *where})

    return getattr_, dir_
