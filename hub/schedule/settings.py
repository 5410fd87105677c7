"""The ``[schedule]`` section of the config: which jobs run when.

::

    [schedule]
    retries = 4                    # more tries of a job that failed for a passing reason
    retry_wait_seconds = 60        # before the first retry; doubles each time, at most 1 h

    [[schedule.jobs]]
    connector = "stripe"           # a sync of [connectors.stripe]
    every = "15m"                  # at :00, :15, :30 and :45 (UTC)

    [[schedule.jobs]]
    task = "reconcile"
    cron = "0 6 * * 1-5"           # 06:00 UTC on weekdays

    [[schedule.jobs]]
    task = "push"                  # billing-hub push send, to one target
    target = "stripe"
    every = "1h"

    [[schedule.jobs]]
    task = "webhooks"              # billing-hub webhooks process
    every = "5m"

    [[schedule.jobs]]
    task = "collect"               # billing-hub collect: reminders ([collections])
    every = "1h"

The same schedule runs in-process (``billing-hub run-schedule``, any store)
or on procrastinate workers (``billing-hub worker``, PostgreSQL).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.config import HubConfig, Section
from hub.errors import ConfigError
from hub.schedule import cron

TaskName = Literal["sync", "reconcile", "push", "webhooks", "collect"]


class ScheduledJob(BaseModel):
    """One ``[[schedule.jobs]]`` entry: a task and when it runs."""

    model_config = ConfigDict(extra="forbid")

    task: TaskName = "sync"
    connector: str | None = None
    """The connector a ``sync`` pulls."""
    target: str | None = None
    """The connector a ``push`` sends its queued changes to."""
    every: str | None = None
    cron: str | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else cron.check(value)

    @field_validator("every")
    @classmethod
    def _every(cls, value: str | None) -> str | None:
        if value is not None:
            cron.every_as_cron(value)
        return value

    @model_validator(mode="after")
    def _complete(self) -> ScheduledJob:
        if (self.every is None) == (self.cron is None):
            raise ValueError("give either every = \"15m\" or cron = \"*/15 * * * *\" "
                             f"({'not both' if self.every else 'one of them'})")
        wants = {"sync": "connector", "push": "target"}.get(self.task)
        for name in ("connector", "target"):
            given = getattr(self, name) is not None
            if name == wants and not given:
                raise ValueError(f"a {self.task} job needs {name} = \"NAME\"")
            if name != wants and given:
                raise ValueError(f"a {self.task} job takes no {name}")
        return self

    @property
    def schedule(self) -> str:
        """The cron expression this job runs on."""
        if self.cron is not None:
            return self.cron
        assert self.every is not None
        return cron.every_as_cron(self.every)

    @property
    def argument(self) -> str | None:
        """The connector this job is about (sync, push), if any."""
        return self.connector if self.task == "sync" else self.target

    @property
    def key(self) -> str:
        """``sync:stripe``, ``reconcile``: what the job does, without when."""
        return self.task if self.argument is None else f"{self.task}:{self.argument}"

    @property
    def when(self) -> str:
        return f"every {self.every}" if self.every else f"cron {self.cron}"

    def describe(self) -> str:
        return describe(self.task, self.argument)


def describe(task: str, argument: str | None) -> str:
    """``sync of stripe``, ``push to stripe``, ``reconcile``, ``webhooks``."""
    if task == "sync":
        return f"sync of {argument}"
    if task == "push":
        return f"push to {argument}"
    return task


class ScheduleSettings(Section):
    """The jobs that run on their own, and how failed ones are tried again."""

    table = "schedule"

    jobs: list[ScheduledJob] = Field(default_factory=list)
    retries: int = Field(default=4, ge=0, le=50)
    """Further tries of a job that failed for a passing reason (a timeout, a
    rate limit, the service down). Configuration errors are not tried again."""
    retry_wait_seconds: float = Field(default=60, ge=0, le=3600)
    """The wait before the first retry; it doubles with each one, up to an hour."""

    @model_validator(mode="after")
    def _no_repeats(self) -> ScheduleSettings:
        seen: dict[tuple[str, str], int] = {}
        for i, job in enumerate(self.jobs):
            first = seen.setdefault((job.key, job.schedule), i)
            if first != i:
                raise ValueError(f"jobs[{i}] repeats jobs[{first}] ({job.describe()}, "
                                 f"{job.when}): remove one")
        return self

    def check(self, config: HubConfig) -> None:
        """Every job's connector is one of the file's ``[connectors]``."""
        self.check_connectors(set(config.connectors))

    def check_connectors(self, known: set[str]) -> None:
        """ConfigError naming the job whose connector is not in ``[connectors]``."""
        for i, job in enumerate(self.jobs):
            name = job.argument
            if name is not None and name not in known:
                field = "connector" if job.task == "sync" else "target"
                listed = ", ".join(sorted(known)) or "none configured"
                raise ConfigError(f"no connector named {name!r} in the config (known: {listed})",
                                  path=f"schedule.jobs[{i}].{field}",
                                  hint="name a [connectors.NAME] section of this file")
