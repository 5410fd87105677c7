"""Validation errors turned into one line naming the value's path in the TOML file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hub.errors import ConfigError


def _dotted(
    loc: tuple[int | str, ...], prefix: str, data: Any = None, *, missing: bool = False
) -> str:
    """The TOML path of an error's location.

    With the validated ``data`` at hand, the parts of ``loc`` that are not
    keys of the data (pydantic's names of union members, ``str`` in
    ``columns.total.str``) are left out: they mean nothing in the file. Only
    a ``missing`` error ends on a key that is not there.
    """
    out = prefix
    here: Any = data
    for i, part in enumerate(loc):
        if data is not None and isinstance(part, str):
            absent_field = missing and i == len(loc) - 1 and isinstance(here, dict)
            if isinstance(here, dict) and part in here:
                here = here[part]
            elif not absent_field:
                continue  # a union member's tag: no such key in the file
        elif data is not None and isinstance(part, int):
            here = here[part] if isinstance(here, list) and 0 <= part < len(here) else None
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_SECRET_WORDS = ("secret", "key", "token", "password", "passwd", "credential", "auth")


def _looks_secret(path: str, message: str) -> bool:
    """Never echo a value that may be a secret typed in clear text."""
    last = path.rsplit(".", 1)[-1].lower()
    return any(word in last for word in _SECRET_WORDS) or "env:" in message


def config_error_from(
    exc: ValidationError, *, prefix: str = "", data: Any = None, file: Path | str | None = None
) -> ConfigError:
    """Turn a pydantic error into a ConfigError naming the TOML path of the first problem.

    ``data`` is what was validated (it lets the path skip pydantic's own
    labels); ``file`` the configuration file, named in the hint.
    """
    errors = exc.errors()
    paths = [_dotted(tuple(e["loc"]), prefix, data, missing=e["type"] == "missing")
             for e in errors]
    first, path = errors[0], paths[0]
    more = len(set(paths)) - 1  # a union's members fail on one value: one problem
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    message = first["msg"]
    if first["type"] not in ("missing", "extra_forbidden") and "input" in first:
        shown = first["input"]
        if isinstance(shown, str | int | bool | Decimal) and not _looks_secret(path, message):
            message += f", got {shown!r}" if not isinstance(shown, Decimal) else f", got {shown}"
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
    where = f"fix it in {file}" if file else "edit the config file"
    return ConfigError(message + tail, path=path, hint=f"{where} and run again",
                       file=str(file) if file else None)
