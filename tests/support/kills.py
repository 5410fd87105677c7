"""Killing ``billing-hub`` at random points and comparing what is left with a run
nobody killed: the kill tests' harness (tests/kill).

A run of a command (a sync, a push send) is done three ways:

- once uninterrupted, in a child process that traces every point it reaches
  (:mod:`tests.support.killpoint`), into a reference store;
- again and again in another store, each child SIGKILLed at a point chosen at
  random (which point, and which time it is reached), until it was killed
  :data:`KILLS` times; then once more to the end;
- and the two stores (and the services' states) are compared by the test.

The choices come from a seed printed with the test's output and in every
failure; ``BH_KILL_SEED=N`` replays them.
"""

from __future__ import annotations

import atexit
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from hub.store import open_store
from hub.store.schema import audit_log, cursors, links, outbox, quarantine, records, runs
from tests.support.killpoint import AT_ENV, TRACE_ENV
from tests.support.paths import ROOT
from tests.support.stores import fresh_pg_schema

KILLS = 5
"""Kills per command: at least this many children are SIGKILLed before the last run."""
SEED_ENV = "BH_KILL_SEED"
ALWAYS = ("committing", "committed")
"""Points every run reaches, even one with nothing to do (it records itself as a run)."""


@dataclass(slots=True)
class Child:
    """One ``billing-hub`` child: its exit code (``-9`` when killed), output and trace."""

    code: int
    output: str
    trace: list[str]

    @property
    def killed(self) -> bool:
        return self.code == -signal.SIGKILL


class _Forker:
    """``python -m tests.support.killpoint --serve``: one interpreter that imported the
    hub once and forks a fresh process for each child (a second and a half of imports
    saved per child, on a busy machine)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.killpoint", "--serve"], cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        self.answers: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        atexit.register(self.close)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.answers.put(line)
        self.answers.put("")  # the server ended

    def _answer(self, timeout: float) -> dict[str, Any]:
        try:
            line = self.answers.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("the forking server did not answer in time") from None
        if not line:
            raise RuntimeError(f"the forking server ended (exit {self.proc.wait(30)})")
        answer: dict[str, Any] = orjson.loads(line)
        return answer

    def run(self, args: list[str], env: dict[str, str], cwd: Path, out: Path,
            timeout: float) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(orjson.dumps({"args": args, "env": env, "cwd": str(cwd),
                                            "out": str(out)}).decode() + "\n")
        self.proc.stdin.flush()
        pid = int(self._answer(30)["pid"])
        try:
            return int(self._answer(timeout)["code"])
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)  # the child this test started, by its id
            self._answer(30)
            raise

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(30)


_forker: _Forker | None = None
FORK_ENV = "BH_KILL_FORK"
"""``BH_KILL_FORK=0``: start each child as a new interpreter instead of forking it."""


def run_child(config: Path, *args: str, kill_at: str | None = None,
              timeout: float = 120) -> Child:
    """``billing-hub --config CONFIG ARGS`` in a child process of its own, killed at
    ``kill_at`` (``POINT:N``) if it gets there."""
    global _forker
    trace = config.parent / f"trace-{uuid.uuid4().hex[:8]}.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", TRACE_ENV: str(trace)}
    env.pop(AT_ENV, None)
    if kill_at:
        env[AT_ENV] = kill_at
    argv = ["--config", str(config), *args]
    if os.environ.get(FORK_ENV, "1") != "0":
        if _forker is None:
            _forker = _Forker()
        out = config.parent / f"out-{uuid.uuid4().hex[:8]}.txt"
        code = _forker.run(argv, env, config.parent, out, timeout)
        output = out.read_text(errors="replace")
        out.unlink()
    else:
        done = subprocess.run([sys.executable, "-m", "tests.support.killpoint", *argv],
                              cwd=config.parent, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        code, output = done.returncode, done.stdout + done.stderr
    seen = trace.read_text().split() if trace.exists() else []
    trace.unlink(missing_ok=True)
    return Child(code, output, seen)


@dataclass
class KillPlan:
    """The random choices of one test, from one seed."""

    seed: int
    rng: random.Random = field(init=False)
    log: list[str] = field(default_factory=list)
    reruns: int = 0
    """Whole runs more than the reference did: children that finished before their kill
    point, and those killed after reading the whole source (see ``read_all``)."""

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @classmethod
    def from_env(cls) -> KillPlan:
        given = os.environ.get(SEED_ENV, "").strip()
        seed = int(given) if given else random.SystemRandom().randrange(10**9)
        print(f"kill plan: {SEED_ENV}={seed} replays these kills")
        return cls(seed)

    def why(self) -> str:
        """What a failure message says: how to replay, and what was done."""
        return f"(replay with {SEED_ENV}={self.seed}; runs: {'; '.join(self.log)})"

    def kill_repeatedly(self, config: Path, args: Sequence[str], reference: Child,
                        points: Sequence[str], *, ok: Collection[int] = (0,),
                        kills: int = KILLS, read_all: Callable[[], bool] | None = None
                        ) -> Child:
        """Run ``args`` killed at random points until ``kills`` children were killed,
        each at one of ``points`` (every one of them at least once), then once more to the
        end; that last child. The Nth time a point is reached is drawn from how often it
        is left to reach (the reference run's trace less what the killed children got
        through), so the kills fall all along the run. ``read_all`` says whether the store
        shows the source read to its end: a child killed after that and before its run
        ended leaves the next one a whole run to do again (``reruns``), as any later sync.
        A child the kill did not reach (it finished first) must finish well (an exit code
        in ``ok``); the next ones are chosen from its trace.
        """
        budget = Counter(reference.trace)
        missing = [p for p in points if not budget[p]]
        assert not missing, f"the uninterrupted run never reached {missing}"
        # every point once first: those a run with nothing left to do may not reach
        # (a request) before those every run reaches (a commit: it records the run)
        early = [p for p in points if p not in ALWAYS]
        order = self.rng.sample(early, len(early))
        order += self.rng.sample([p for p in points if p in ALWAYS], len(points) - len(early))
        order += [self.rng.choice(points) for _ in range(max(0, kills - len(order)))]
        done, hit = 0, set()
        for _ in range(3 * kills):
            if done == kills:
                break
            point = order[done]
            if not budget[point]:  # a run with nothing to do may not reach it
                point = self.rng.choice(sorted(p for p in points if budget[p]))
            # about evenly spread over what is left; up to its end for the last kill
            left = kills - done
            nth = self.rng.randint(1, max(1, -(-2 * budget[point] // (left + 1))))
            child = run_child(config, *args, kill_at=f"{point}:{nth}")
            if child.killed:
                done += 1
                hit.add(point)
                self.log.append(f"killed at {point}:{nth}")
                if read_all is not None and read_all():
                    self.reruns += 1
                    self.log.append("(the source was read to its end)")
                # what is left: about what was, less what this child got through
                budget = Counter({p: max(1, budget[p] - child.trace.count(p) + 1)
                                  for p in budget})
                continue
            self.log.append(f"finished before {point}:{nth}")
            self.reruns += 1
            assert child.code in ok, f"{child.output} {self.why()}"
            budget = Counter(child.trace)  # a run with nothing left to do: kill those
        assert done == kills, f"only {done} of {kills} children were killed {self.why()}"
        assert hit == set(points), f"never killed at {set(points) - hit} {self.why()}"
        last = run_child(config, *args)
        self.log.append(f"finished (exit {last.code})")
        assert last.code in ok, f"{last.output} {self.why()}"
        return last


def reference_run(config: Path, *args: str, ok: Collection[int] = (0,)) -> Child:
    """``billing-hub ARGS`` uninterrupted, its trace kept: what the kills are chosen from."""
    child = run_child(config, *args)
    assert child.code in ok, child.output
    return child


@contextmanager
def another_store(store_url: str, folder: Path) -> Iterator[str]:
    """An empty store of the same kind as ``store_url``: a SQLite file in ``folder``,
    or a schema of its own in the test PostgreSQL (dropped afterwards)."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{folder / 'reference.db'}"
        return
    with fresh_pg_schema() as url:
        yield url


def migrated(url: str) -> None:
    """Migrate the store at ``url`` (the children then only do their work)."""
    open_store(url).dispose()


def _renamed(text: str | None, names: Mapping[str, str]) -> str | None:
    if text is None or not names:
        return text
    pattern = re.compile("|".join(re.escape(k) for k in sorted(names, key=len, reverse=True)))
    return pattern.sub(lambda m: names[m.group(0)], text)


def store_state(url: str, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything a sync or a push leaves that must not depend on how often it was
    killed: records with their hashes, quarantine, cursors, outbox rows, links and
    the audit of pushes. ``names`` maps ids a service chose (which differ between two
    simulators) to stable names; a record whose content names such an id is compared
    by its content, its hash aside."""
    ids = names or {}
    engine = open_store(url)
    try:
        with engine.connect() as conn:
            held: dict[tuple[str, str, str], Any] = {}
            by_id: dict[int, str] = {}
            for r in conn.execute(sa.select(records)):
                ext = _renamed(r.external_id, ids) or ""
                data = _renamed(r.data, ids)
                by_id[r.id] = f"{r.source}:{r.entity}:{ext}"
                held[(r.source, r.entity, ext)] = (
                    r.content_hash if data == r.data else None, data, _renamed(r.raw, ids),
                    _renamed(r.location, ids), _renamed(r.number, ids), r.party,
                    _renamed(r.customer_ref, ids), r.currency, r.amount_minor, r.open_minor,
                    r.status, r.doc_date, r.due_date, r.deleted_at is None)
            found = list(conn.execute(sa.select(quarantine)))
            waiting = sorted((q.source, q.entity, q.fingerprint, q.external_id, q.location,
                              q.reason, q.raw, q.status) for q in found)
            sightings = {q.fingerprint: q.times_seen for q in found}
            kept = sorted((c.source, c.entity, _renamed(c.cursor, ids))
                          for c in conn.execute(sa.select(cursors)))
            queued = []
            for o in conn.execute(sa.select(outbox).order_by(outbox.c.id)):
                result = orjson.loads(o.result or "{}")
                queued.append((o.target, o.entity, o.operation,
                               by_id.get(o.record_id or 0), o.idempotency_key, o.status,
                               _renamed(str(result.get("external_id")), ids),
                               result.get("status"), result.get("reason")))
            linked = sorted((by_id[x.left_id], by_id[x.right_id], x.method, x.state)
                            for x in conn.execute(sa.select(links)))
            pushed = sorted((a.action, _renamed(a.subject, ids)) for a in conn.execute(
                sa.select(audit_log.c.action, audit_log.c.subject)
                .where(audit_log.c.action.like("push.%"))))
            unfinished = conn.execute(sa.select(sa.func.count()).select_from(runs)
                                      .where(runs.c.status == "running")).scalar()
        return {"records": held, "quarantine": waiting, "sightings": sightings,
                "cursors": kept, "outbox": queued, "links": linked, "audit": pushed,
                "runs still running": unfinished}
    finally:
        engine.dispose()


def assert_same_store(got: dict[str, Any], expected: dict[str, Any], plan: KillPlan) -> None:
    """The killed store holds exactly what the uninterrupted one does, part by part; a
    quarantined row was seen once more at most for each whole run more than the
    reference did (``plan.reruns``)."""
    why = plan.why()
    assert got["records"].keys() == expected["records"].keys(), (
        f"records lost: {sorted(expected['records'].keys() - got['records'].keys())}, "
        f"records extra: {sorted(got['records'].keys() - expected['records'].keys())} {why}")
    for key, value in expected["records"].items():
        assert got["records"][key] == value, (
            f"record {key} differs {why}: {got['records'][key]} != {value}")
    for part in ("quarantine", "cursors", "outbox", "links", "audit"):
        assert got[part] == expected[part], (
            f"{part} differ {why}: {got[part]} != {expected[part]}")
    for fingerprint, times in expected["sightings"].items():
        seen = got["sightings"][fingerprint]
        assert times <= seen <= times + plan.reruns, f"quarantine {fingerprint} seen {seen} " \
            f"times, {times} in one run {why}"
    assert got["runs still running"] == 0, f"a killed run was never closed {why}"
