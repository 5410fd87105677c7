"""Checks of pushing: a change retried with its idempotency key is made once."""

from __future__ import annotations

from hub.contract.connector import EntitySupport
from hub.contract.pushing import PushChange, PushOperation, PushResult, PushStatus, idempotency_key
from hub.models import ENTITY_MODELS
from hub.testing.checks._records import show
from hub.testing.checks.base import EntityCheck
from hub.testing.checks.context import INSTANCE
from hub.testing.checks.errors import ContractViolation

__all__ = ["IdempotentPushCheck"]


class IdempotentPushCheck(EntityCheck):
    """The same change pushed twice with one idempotency key makes one record.

    A new record (``new_record()``) is pushed as a create from one connector
    object, then again with the same key from another, as a retry after a
    crash or a timeout would be. The first answer is ``created`` with the new
    id; the second is ``created`` or ``unchanged`` with the same id; every
    result carries its change's key; and afterwards the system holds exactly
    one new record (read back by a pull, or by ``pushed_ids()`` for an entity
    pushed but not pulled).
    """

    name = "push_idempotent"
    test = "test_push_twice_with_one_key_creates_one_record"
    requires = "push"

    def run(self, entity: str) -> None:
        support = self.context.support(entity)
        record = self.context.harness.new_record(entity)
        model = ENTITY_MODELS[entity]
        if not isinstance(record, model):
            raise ContractViolation(
                f"harness.new_record({entity!r}) returned a {type(record).__name__}, "
                f"not a {model.__name__}")
        if support.pull:
            self.context.seed(entity)
        before = self._held(entity, support)
        key = idempotency_key(INSTANCE, PushOperation.CREATE.value, record)
        change = PushChange(PushOperation.CREATE, record, key)
        first = self._push_one(change)
        if first.status is not PushStatus.CREATED or not first.external_id:
            raise ContractViolation(
                f"pushing a new {entity} answered {first.status.value} "
                f"{first.reason or first.external_id!r}; expected created with its new id")
        # A retry comes after a crash or a timeout: from a new connector object.
        second = self._push_one(change)
        if second.status not in (PushStatus.CREATED, PushStatus.UNCHANGED):
            raise ContractViolation(
                f"pushing the same change again with the same key answered "
                f"{second.status.value} {second.reason!r}; expected the first answer "
                "(created or unchanged)")
        if second.external_id != first.external_id:
            raise ContractViolation(
                f"the same change pushed twice with key {key!r} made two records, "
                f"{first.external_id!r} and {second.external_id!r}: send the key to the "
                "system (Idempotency-Key, requestid) so that it answers a repeat with the "
                "first result")
        after = self._held(entity, support)
        new = after - before
        if new != {first.external_id}:
            raise ContractViolation(
                f"after pushing one change twice the system holds {len(new)} new {entity} "
                f"records ({show(new)}); expected exactly {first.external_id!r}")

    def _push_one(self, change: PushChange) -> PushResult:
        """Push one change from a new connector object; its one result."""
        results = self.context.connector().push([change])
        if len(results) != 1:
            raise ContractViolation(f"push of one change returned {len(results)} results")
        result = results[0]
        if not isinstance(result, PushResult):
            raise ContractViolation(f"push returned a {type(result).__name__}, not PushResult")
        if result.idempotency_key != change.idempotency_key:
            raise ContractViolation(
                "a push result's idempotency_key is not the change's: results are matched "
                "to changes by it")
        return result

    def _held(self, entity: str, support: EntitySupport) -> set[str]:
        """The ids of ``entity`` the system holds now."""
        if support.pull:
            return {r.external_id for p in self.context.pull(entity) for r in p.records}
        return set(self.context.harness.pushed_ids(entity))
