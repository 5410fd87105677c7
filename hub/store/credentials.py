"""Credentials a connector keeps between runs, sealed so the store never holds them in clear.

QuickBooks Online hands out a new refresh token with every refresh and soon
refuses the old one: the hub has to keep the newest one, durably, the moment
it arrives, or a person has to connect the company again. A connector keeps
such values through the :class:`~hub.contract.connector.CredentialVault` its context
carries; this is the store's vault. Its :meth:`StoreVault.locked` is a store
lock, so that two processes (on any host) never refresh with the same token.

Each value is sealed with AES-256-GCM under a key derived (HKDF-SHA256) from
``[store] secret_key``, an ``env:`` reference, with the connector and the
value's name as associated data: the database holds only ciphertext, and a
sealed value copied onto another connector's row does not open. A value is
written in a transaction of its own and committed at once, whatever the sync
around it does afterwards.
"""

from __future__ import annotations

import base64
import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from hub.errors import ConfigError, HubError
from hub.store import audit, locks
from hub.store.clock import as_utc, utcnow
from hub.store.schema import credentials

_VERSION = "v1."
_SALT = b"billing-hub credentials"
MIN_SECRET_LENGTH = 16


class CredentialUnreadable(HubError):
    """A stored credential does not open with the configured secret key."""


def derive_key(secret: str) -> bytes:
    """The 256-bit sealing key for ``secret`` (the value of ``[store] secret_key``)."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"the store's secret key is too short ({len(secret)} characters; at least "
            f"{MIN_SECRET_LENGTH})", path="store.secret_key",
            hint="use a long random value, e.g. `python -c 'import secrets; "
                 "print(secrets.token_urlsafe(32))'`")
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=b"aes-256-gcm v1")
    return kdf.derive(secret.encode())


def _aad(connector: str, name: str) -> bytes:
    return f"{connector}\x00{name}".encode()


def seal(key: bytes, connector: str, name: str, value: str) -> str:
    """``value`` encrypted and bound to (connector, name): ``v1.`` and base64 text."""
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), _aad(connector, name))
    return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(key: bytes, connector: str, name: str, text: str) -> str:
    """The value :func:`seal` sealed; :class:`CredentialUnreadable` if it does not open."""
    try:
        if not text.startswith(_VERSION):
            raise ValueError("unknown format")
        blob = base64.urlsafe_b64decode(text[len(_VERSION):])
        return AESGCM(key).decrypt(blob[:12], blob[12:], _aad(connector, name)).decode()
    except (InvalidTag, ValueError) as exc:
        raise CredentialUnreadable(
            f"the stored {name!r} of connector {connector!r} does not open with the "
            "configured secret key",
            hint="set [store] secret_key to the key it was stored with; or, to start over, "
                 f"`billing-hub credentials forget {connector}` and connect the account "
                 "again") from exc


class StoreVault:
    """The :class:`~hub.contract.connector.CredentialVault` of one connector, in the store."""

    def __init__(self, engine: Engine, connector: str, secret: SecretStr | None) -> None:
        self.engine = engine
        self.connector = connector
        self._key = derive_key(secret.get_secret_value()) if secret is not None else None

    def _need_key(self) -> bytes:
        if self._key is None:
            raise ConfigError(
                f"connector {self.connector!r} needs to keep a credential between runs "
                "(a rotating token), and the store has no secret key to seal it with",
                path="store.secret_key",
                hint='add `secret_key = "env:BILLING_HUB_SECRET_KEY"` under [store] and set '
                     "that variable to a long random value")
        return self._key

    def get(self, name: str) -> str | None:
        """The value kept under ``name``, or None if there is none."""
        with self.engine.connect() as conn:
            text = conn.execute(
                sa.select(credentials.c.sealed).where(
                    credentials.c.connector == self.connector, credentials.c.name == name)
            ).scalar_one_or_none()
        if text is None:
            return None
        return unseal(self._need_key(), self.connector, name, text)

    def locked(self, name: str, *, timeout: float) -> AbstractContextManager[object]:
        """The store lock ``credential:CONNECTOR:NAME`` for the block (see
        :mod:`hub.store.locks`): one process at a time, on any host, changes the value."""
        return locks.holding(self.engine, f"credential:{self.connector}:{name}",
                             timeout=timeout)

    def put(self, name: str, value: str, *, now: datetime | None = None) -> None:
        """Keep ``value`` under ``name`` (replacing any older one), committed at once."""
        sealed = seal(self._need_key(), self.connector, name, value)
        stamp = now or utcnow()
        where = (credentials.c.connector == self.connector, credentials.c.name == name)
        with self.engine.begin() as conn:
            changed = conn.execute(
                credentials.update().where(*where).values(sealed=sealed, updated_at=stamp))
            if changed.rowcount == 0:
                conn.execute(credentials.insert().values(
                    connector=self.connector, name=name, sealed=sealed, updated_at=stamp))


@dataclass(frozen=True)
class Kept:
    """What is kept for a connector, without its value."""

    connector: str
    name: str
    updated_at: datetime


def kept(engine: Engine, connector: str | None = None) -> list[Kept]:
    """The credentials kept in the store (names and times only), by connector and name."""
    stmt = sa.select(credentials.c.connector, credentials.c.name, credentials.c.updated_at)
    if connector is not None:
        stmt = stmt.where(credentials.c.connector == connector)
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(credentials.c.connector, credentials.c.name)).all()
    return [Kept(c, n, as_utc(at) or at) for c, n, at in rows]


def forget(engine: Engine, connector: str, *, actor: str) -> list[str]:
    """Delete every credential kept for ``connector``; the names deleted, in the audit log.

    The way out when the values no longer open (the secret key was lost or
    changed) or the account is to be connected afresh: the connector then signs
    in with what its config gives, as on its first run.
    """
    where = credentials.c.connector == connector
    with engine.begin() as conn:
        names = list(conn.execute(
            sa.select(credentials.c.name).where(where).order_by(credentials.c.name)).scalars())
        if names:
            conn.execute(credentials.delete().where(where))
            audit.record(conn, "credentials.forgotten", subject=f"connector:{connector}",
                         actor=actor, details={"names": names})
    return names
