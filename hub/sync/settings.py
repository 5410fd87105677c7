"""The part of ``[web]`` that says how webhook deliveries become syncs.

The syncs webhook deliveries ask for run wherever deliveries are processed:
in ``billing-hub serve``, in ``billing-hub webhooks process``, on the
scheduler. Their two settings are read here from the ``[web]`` table, which
the web service validates whole (:class:`hub.web.settings.WebSettings`
extends this model), so the sync engine never imports the web service.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from hub.config import Section


class WebhookSyncSettings(Section):
    """Retries of the syncs deliveries ask for, and how long deliveries are remembered."""

    model_config = ConfigDict(extra="ignore")
    table = "web"

    retry_seconds: float = Field(30.0, gt=0, le=3600)
    """The wait after a failed sync; it doubles with each failure, up to an hour."""
    keep_days: int = Field(30, ge=1, le=3650)
    """How long a processed delivery is remembered (its id, so a copy is a duplicate)."""
