"""The outbox: changes bound for other systems, queued with the change that caused them
and sent later with deterministic idempotency keys (see DESIGN.md, Sync semantics).

- :func:`enqueue` writes one change in the caller's transaction;
- :func:`queue_mirror` queues what keeps one system's records in another;
- :class:`OutboxSender` sends a target's pending changes through its connector
  and records each answer, the target's copy and the link to it.
"""

from hub.outbox.mirror import MirrorCounts, queue_mirror
from hub.outbox.queue import FAILED, PENDING, REJECTED, SENT, SUPERSEDED, Queued, enqueue
from hub.outbox.sender import OutboxSender, SendCounts, SendProgress
from hub.outbox.settings import MirrorSettings, PushSettings

__all__ = [
    "FAILED",
    "PENDING",
    "REJECTED",
    "SENT",
    "SUPERSEDED",
    "MirrorCounts",
    "MirrorSettings",
    "OutboxSender",
    "PushSettings",
    "Queued",
    "SendCounts",
    "SendProgress",
    "enqueue",
    "queue_mirror",
]
