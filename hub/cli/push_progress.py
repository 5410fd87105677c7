"""Progress bars for ``billing-hub push send``: one per target and entity."""

from __future__ import annotations

from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from hub.cli.console import err
from hub.outbox import SendProgress


class SendDisplay:
    """Fed by the sender after each batch: changes done of changes queued, counts so far."""

    def __init__(self, enabled: bool = True) -> None:
        self.bars = Progress(
            TextColumn("[bold]{task.fields[label]}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"), console=err, disable=not enabled)
        self.tasks: dict[tuple[str, str], TaskID] = {}

    def __enter__(self) -> SendDisplay:
        self.bars.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.bars.stop()

    def __call__(self, event: SendProgress) -> None:
        c = event.counts
        text = (f"{c.created} created, {c.updated} updated, {c.unchanged} unchanged, "
                f"{c.rejected} rejected, {c.failed} failed")
        key = (event.target, event.entity)
        task = self.tasks.get(key)
        if task is None:
            task = self.tasks[key] = self.bars.add_task(
                "", total=event.total, label=f"{event.target}/{event.entity}", counts=text)
        self.bars.update(task, completed=event.done, total=event.total, counts=text)
