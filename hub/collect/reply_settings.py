"""``[collections.replies]``: how the hub acts on customers' replies.

::

    [collections.replies]
    promise_grace_days = 3     # a promise holds reminders until its date plus this
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ReplySettings(BaseModel):
    """How long a promise holds reminders past its date."""

    model_config = ConfigDict(extra="forbid")

    promise_grace_days: int = Field(3, ge=0, le=90)
    """Days after the promised date before reminders resume, if the money has not come."""
