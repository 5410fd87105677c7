"""Which refresh token to sign in with, and keeping the newest one QuickBooks hands out.

QuickBooks Online answers every refresh with a new refresh token and soon
stops accepting the one before: the newest must be kept the moment it
arrives (in the connector's vault, sealed in the store). The token in the
config is where it starts: it is used while the vault holds none, and again
whenever it changes (a person connected the company again), which the vault
notices by the digest of the configured token it recorded.
"""

from __future__ import annotations

import hashlib

from pydantic import SecretStr

from hub.connector import CredentialVault
from hub.secrets import treat_as_secret

TOKEN = "refresh_token"
GIVEN = "configured_token_digest"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenKeeper:
    """The refresh token of one connector instance: the configured one or the newest kept."""

    def __init__(self, configured: SecretStr, vault: CredentialVault | None) -> None:
        self._configured = configured
        self._vault = vault
        self._latest: str | None = None

    def current(self) -> str:
        """The token to refresh with now."""
        if self._latest is not None:
            return self._latest
        given = self._configured.get_secret_value()
        if self._vault is not None and self._vault.get(GIVEN) == _digest(given):
            kept = self._vault.get(TOKEN)
            if kept:
                treat_as_secret(kept)
                return kept
        return given

    def keep(self, token: str) -> None:
        """QuickBooks handed out ``token``: from now on it is the one (stored at once)."""
        self._latest = token
        if self._vault is not None:
            self._vault.put(TOKEN, token)
            self._vault.put(GIVEN, _digest(self._configured.get_secret_value()))
