"""Secrets are written in the config as ``env:NAME`` and never shown.

:data:`SecretRef` is a pydantic type: it accepts ``env:NAME``, reads the
variable when the config is loaded and holds the value as a ``SecretStr``
(which prints as ``**********``). A secret typed into the config in clear text
is refused, so it never ends up in a repository or a backup of the config.
:class:`RedactingFilter` scrubs known secret values from log records as a
second line of defence.
"""

from __future__ import annotations

import logging
import os
from typing import Annotated

from pydantic import BeforeValidator, SecretStr

ENV_PREFIX = "env:"

_known_secrets: set[str] = set()


def _resolve(value: object) -> SecretStr:
    if isinstance(value, SecretStr):
        return value
    if not isinstance(value, str) or not value.startswith(ENV_PREFIX):
        raise ValueError(
            "secrets must be written as env:VARIABLE_NAME and kept in the environment, "
            "not in the config file"
        )
    name = value[len(ENV_PREFIX):].strip()
    if not name:
        raise ValueError("env: needs a variable name, e.g. env:STRIPE_API_KEY")
    secret = os.environ.get(name)
    if secret is None or secret == "":
        raise ValueError(f"environment variable {name} is not set")
    if len(secret) >= 4:
        _known_secrets.add(secret)
    return SecretStr(secret)


def treat_as_secret(value: str) -> None:
    """Scrub ``value`` from logs from now on, like the secrets the config names.

    For secrets the hub learns while it runs (an access token, a refresh
    token QuickBooks just issued): client libraries log requests and token
    answers at DEBUG level, tokens included.
    """
    if len(value) >= 4:
        _known_secrets.add(value)


SecretRef = Annotated[SecretStr, BeforeValidator(_resolve)]
"""A secret given as ``env:NAME`` in the config."""


def redact(text: str) -> str:
    """Replace every secret the hub has loaded with ``**********``.

    Longer secrets first, so that a secret containing another one is never
    left half shown.
    """
    for secret in sorted(_known_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "**********")
    return text


_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    """A logging filter that removes loaded secrets from messages.

    The message, its arguments and an attached traceback or stack are all
    scrubbed: an exception's text (an HTTP error quoting a request) is as
    likely as the message itself to carry a key.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not _known_secrets:
            return True
        record.msg = redact(record.getMessage())
        record.args = None
        shown = record.exc_text
        if record.exc_info and not shown:
            shown = _FORMATTER.formatException(record.exc_info)
        if shown:
            cleaned = redact(shown)
            if cleaned != shown:
                # Handlers that render the exception themselves (rich tracebacks)
                # would show it again from exc_info: keep only the scrubbed text.
                record.exc_text = cleaned
                record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
