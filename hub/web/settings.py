"""The ``[web]`` section of the config: the hub's HTTP service (``billing-hub serve``).

::

    [web]
    host = "127.0.0.1"                 # behind a reverse proxy that terminates TLS
    port = 8000
    max_body_bytes = 1048576           # larger webhook deliveries are refused (413)
    process_webhooks = true            # sync what deliveries report, inside the server
    debounce_seconds = 2               # wait this long for more deliveries before a sync
    max_wait_seconds = 30              # ... but never longer than this after the first
    poll_seconds = 60                  # look for due retries (and other processes' deliveries)
    retry_seconds = 30                 # first wait after a failed sync; doubles, at most 1 h
    keep_days = 30                     # processed deliveries are remembered this long
    coordinator_password = "env:BILLING_HUB_WEB_PASSWORD"   # turns the coordinator's page on
    session_secret = "env:BILLING_HUB_SESSION_SECRET"       # signs its cookies (optional)
    secure_cookies = true              # the page is reached over HTTPS (a reverse proxy)
    session_hours = 12                 # a sign-in lasts this long
    metrics_public = false             # true: GET /metrics needs no sign-in or token
    metrics_token = "env:BILLING_HUB_METRICS_TOKEN"         # Prometheus' bearer token

Kept apart from :mod:`hub.web.app` so that loading the config never imports
the web framework.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field, SecretStr, field_validator

from hub.secrets import SecretRef
from hub.sync.settings import WebhookSyncSettings

MIN_PASSWORD_LENGTH = 12


class WebSettings(WebhookSyncSettings):
    """How ``billing-hub serve`` listens and how it turns webhook deliveries into syncs.

    The whole ``[web]`` table: its retry settings come from
    :class:`~hub.sync.settings.WebhookSyncSettings`, which the syncs read alone.
    """

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    """The address to listen on; ``0.0.0.0`` for every interface."""
    port: int = Field(8000, ge=1, le=65_535)
    max_body_bytes: int = Field(1_048_576, ge=1024, le=64 * 1_048_576)
    """The largest webhook body accepted; a larger one is answered 413 unread."""
    process_webhooks: bool = True
    """Run the syncs deliveries ask for in the server (else: ``billing-hub webhooks process``)."""
    debounce_seconds: float = Field(2.0, ge=0, le=600)
    """Quiet time after a delivery before its sync starts, so a burst makes one sync."""
    max_wait_seconds: float = Field(30.0, ge=0, le=3600)
    """The longest a delivery waits for its sync while more keep arriving."""
    poll_seconds: float = Field(60.0, gt=0, le=86_400)
    """How often the server looks for deliveries due again after a failed sync."""
    coordinator_password: SecretRef | None = None
    """Turns the coordinator's page on: people sign in with their name and this password.
    Without it the page's routes answer 404 and only webhooks are served."""
    session_secret: SecretRef | None = None
    """Signs the page's session cookies; default: derived from ``[store] secret_key``,
    else a random key per server process (sign-ins then end when the server restarts)."""
    secure_cookies: bool = False
    """Mark the session cookie ``Secure`` (sent over HTTPS only): set it when the page is
    reached through a reverse proxy that terminates TLS."""
    session_hours: int = Field(12, ge=1, le=24 * 31)
    """How long a sign-in lasts."""
    metrics_public: bool = False
    """Serve ``GET /metrics`` to anyone. Off: it needs ``metrics_token`` as a bearer token
    or a signed-in session of the coordinator's page."""
    metrics_token: SecretRef | None = None
    """The bearer token Prometheus sends for ``GET /metrics`` (``env:NAME``)."""

    @field_validator("coordinator_password")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
        return value
