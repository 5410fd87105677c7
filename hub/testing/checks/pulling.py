"""Checks of pulling: a full pull, the records it gives, resuming it, and pulling changes."""

from __future__ import annotations

from collections import Counter

import orjson
from pydantic import ValidationError

from hub.models import ENTITY_MODELS
from hub.testing.checks._records import dump, ids, show
from hub.testing.checks.base import EntityCheck
from hub.testing.checks.context import INSTANCE
from hub.testing.checks.errors import ContractViolation

__all__ = ["CanonicalRecordsCheck", "FullPullCheck", "IncrementalCheck", "ResumeCheck"]


class FullPullCheck(EntityCheck):
    """A full pull returns every record exactly once, over several pages.

    Of the seeded records, none is rejected, none comes twice (overlapping
    pages), none is missing (a skipped page boundary), and nothing else comes;
    they come in at least two pages (the harness asks for pages of
    ``page_size``), and the last page has a cursor for the next sync to start
    after.
    """

    name = "full_pull"
    test = "test_full_pull_returns_every_record_once"
    requires = "pull"

    def run(self, entity: str) -> None:
        seeded = self.context.seed(entity)
        pages = self.context.pull(entity)
        got = [rec for page in pages for rec in page.records]
        rejected = [rej for page in pages for rej in page.rejected]
        if rejected:
            raise ContractViolation(
                f"valid seeded records were rejected: {'; '.join(str(r) for r in rejected[:3])}")
        twice = {i: n for i, n in Counter(ids(got)).items() if n > 1}
        if twice:
            raise ContractViolation(
                f"a full pull returned {show(twice)} more than once (pages overlap: "
                "is the cursor after a page taken before its last record?)")
        missing, extra = set(seeded) - set(ids(got)), set(ids(got)) - set(seeded)
        if missing:
            raise ContractViolation(
                f"a full pull of {len(seeded)} seeded records missed {show(missing)} "
                "(a page boundary skipped?)")
        if extra:
            raise ContractViolation(
                f"a full pull returned records nobody seeded: {show(extra)} (does the "
                "external_id differ from the id harness.seed returned?)")
        if sum(1 for p in pages if p.records) < 2:
            raise ContractViolation(
                f"all {len(seeded)} records came in one page: harness.config() must ask the "
                f"connector for pages of {self.context.harness_class.page_size} records, so "
                "that paging and cursors are tested")
        if pages[-1].cursor is None:
            raise ContractViolation(
                "the last page of a pull has no cursor: the next sync could not start after it")


class CanonicalRecordsCheck(EntityCheck):
    """Pulled records are the entity's canonical model, valid, traceable to their payload.

    Each record is an instance of the entity's model in ``hub.models``, its
    ``source`` is the connector instance's name, it validates again to
    itself (not built with ``model_construct``), it keeps a non-empty JSON
    ``raw`` payload, and its ``source_modified``, if any, has a time zone.
    """

    name = "canonical"
    test = "test_records_are_canonical"
    requires = "pull"

    def run(self, entity: str) -> None:
        self.context.seed(entity)
        model = ENTITY_MODELS[entity]
        for page in self.context.pull(entity):
            for record in page.records:
                label = f"{entity} {record.external_id!r}"
                if not isinstance(record, model):
                    raise ContractViolation(
                        f"{label} is a {type(record).__name__}, not hub.models.{model.__name__}")
                if record.source != INSTANCE:
                    raise ContractViolation(
                        f"{label} has source {record.source!r}; it must be the connector "
                        "instance's name (Connector.name)")
                try:
                    again = model.model_validate(record.model_dump())
                except ValidationError as exc:
                    raise ContractViolation(
                        f"{label} does not validate as {model.__name__} (built with "
                        f"model_construct?): {exc}") from None
                if again != record:
                    raise ContractViolation(
                        f"{label} changes when validated again: build records through the "
                        "model, not model_construct")
                if not isinstance(record.raw, dict) or not record.raw:
                    raise ContractViolation(
                        f"{label} keeps no raw payload: put what the system sent in raw, so "
                        "every figure can be traced back")
                try:
                    orjson.dumps(record.raw, default=str)
                except TypeError as exc:
                    raise ContractViolation(f"{label}: raw is not JSON: {exc}") from None
                modified = record.source_modified
                if modified is not None and modified.utcoffset() is None:
                    raise ContractViolation(
                        f"{label}: source_modified {modified} has no time zone; give it the "
                        "system's zone (or UTC)")


class ResumeCheck(EntityCheck):
    """A pull resumed from any page's cursor ends with the same records.

    For every page of a full pull that has a cursor, a new connector object
    pulls from that cursor: every seeded record not already returned by that
    page or the ones before it comes, no unknown record comes, and each record
    is the same as the full pull's.
    """

    name = "resume"
    test = "test_pull_resumes_from_every_cursor"
    requires = "pull"

    def run(self, entity: str) -> None:
        seeded = set(self.context.seed(entity))
        pages = self.context.pull(entity)
        full = {r.external_id: dump(r) for p in pages for r in p.records}
        if not any(p.cursor for p in pages):
            raise ContractViolation("no page of a pull carries a cursor: nothing to resume from")
        before: set[str] = set()
        for number, page in enumerate(pages, start=1):
            before |= set(ids(page.records))
            if page.cursor is None:
                continue
            resumed = [r for p in self.context.pull(entity, page.cursor) for r in p.records]
            after = set(ids(resumed))
            lost = seeded - before - after
            if lost:
                raise ContractViolation(
                    f"resumed from the cursor of page {number} of {len(pages)}, the pull never "
                    f"returned {show(lost)}: records after that page were lost")
            strangers = after - seeded
            if strangers:
                raise ContractViolation(
                    f"resumed from the cursor of page {number}, the pull returned unknown "
                    f"records {show(strangers)}")
            for record in resumed:
                if dump(record) != full.get(record.external_id):
                    raise ContractViolation(
                        f"resumed from the cursor of page {number}, {entity} "
                        f"{record.external_id!r} differs from the one a full pull returned")


class IncrementalCheck(EntityCheck):
    """After a change in the system, a pull from the last cursor returns the change.

    The harness changes one seeded record (``change()``); a pull from the
    full pull's last cursor returns it with its new canonical content, returns
    fewer records than were seeded (it does not read everything again), and
    no unknown record.
    """

    name = "incremental"
    test = "test_incremental_pull_returns_the_change"
    requires = "incremental"

    def run(self, entity: str) -> None:
        seeded = self.context.seed(entity)
        pages = self.context.pull(entity)
        full = {r.external_id: dump(r) for p in pages for r in p.records}
        cursor = next((p.cursor for p in reversed(pages) if p.cursor is not None), None)
        if cursor is None:
            raise ContractViolation("a full pull ended without a cursor to pull changes after")
        changed = self.context.harness.change(entity)
        if changed not in full:
            raise ContractViolation(
                f"harness.change({entity!r}) returned {changed!r}, which the full pull did "
                "not return")
        got = [r for p in self.context.pull(entity, cursor) for r in p.records]
        got_ids = ids(got)
        if changed not in got_ids:
            raise ContractViolation(
                f"after {entity} {changed!r} changed, a pull from the last cursor did not "
                f"return it (it returned {len(got_ids)} records)")
        record = next(r for r in got if r.external_id == changed)
        now, then = dump(record), full[changed]
        if {k: v for k, v in now.items() if k != "raw"} == {
                k: v for k, v in then.items() if k != "raw"}:
            raise ContractViolation(
                f"the incremental pull returned {entity} {changed!r} as it was before the "
                "change (a cached copy?), or harness.change() does not alter canonical fields")
        if len(set(got_ids)) >= len(seeded):
            raise ContractViolation(
                f"one change, and the incremental pull returned all {len(set(got_ids))} "
                "records: it reads everything again (declare incremental=False if that is the "
                "design)")
        strangers = set(got_ids) - set(seeded)
        if strangers:
            raise ContractViolation(f"the incremental pull returned unknown {show(strangers)}")
