"""Which refresh token to sign in with, and keeping the newest one QuickBooks hands out.

QuickBooks Online replaces the refresh token (about once a day) and soon stops
accepting the one before: the newest must be kept the moment it arrives (in
the connector's vault, sealed in the store). The token in the config is where
it starts: it is used while the vault holds none for it, and again whenever
it changes (a person connected the company again). The vault keeps the newest
token together with the digest of the configured token it descends from, in
one value written in one go: a process killed right after that write still
finds the token, and a token kept for an earlier connection is never taken
for the current one. A vault that cannot keep anything says so before the
configured token is first used, not after QuickBooks retired it.

Every refresh happens under the vault's lock on the token
(:meth:`TokenKeeper.exclusive`): a sync, a push, a webhook's sync and a worker
of the same connector, on any host, refresh one after the other, each with
the token the one before kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from contextlib import AbstractContextManager

from pydantic import SecretStr

from hub import CredentialVault, treat_as_secret

TOKEN = "refresh_token"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenKeeper:
    """The refresh token of one connector instance: the configured one or the newest kept."""

    def __init__(self, configured: SecretStr, vault: CredentialVault | None) -> None:
        self._configured = configured
        self._vault = vault
        self._latest: str | None = None

    def exclusive(self, *, timeout: float) -> AbstractContextManager[object]:
        """The block in which this process alone (of every process using the store)
        reads, uses and replaces the token."""
        if self._vault is None:
            return contextlib.nullcontext()
        return self._vault.locked(TOKEN, timeout=timeout)

    def current(self) -> str:
        """The token to refresh with now: the newest kept, by this process or another
        one of the same connector (a push while a sync runs) that refreshed since."""
        given = self._configured.get_secret_value()
        if self._vault is None:
            return self._latest or given
        stored = self._vault.get(TOKEN)
        if stored is None:  # fails here, without a key to seal with, before any refresh
            self._vault.put(TOKEN, "")
            return given
        kept = _kept(stored, _digest(given))
        if kept:
            treat_as_secret(kept)
            return kept
        return self._latest or given

    def keep(self, token: str) -> None:
        """QuickBooks handed out ``token``: from now on it is the one (stored at once)."""
        self._latest = token
        if self._vault is not None:
            pair = {"for": _digest(self._configured.get_secret_value()), "token": token}
            self._vault.put(TOKEN, json.dumps(pair))


def _kept(stored: str, digest: str) -> str | None:
    """The token in ``stored`` if it descends from the configured token (``digest``)."""
    try:
        pair = json.loads(stored)
    except ValueError:
        return None
    if not isinstance(pair, dict):
        return None
    token = pair.get("token")
    return str(token) if pair.get("for") == digest and token else None
