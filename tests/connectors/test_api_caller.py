"""The core's API caller and paginator, on their own: what a connector plugs into."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hub import ApiCaller, ApiPage, Backoff, GaveUp, Retry, Throttle, TransientError, paginate


class Throttled(Exception):
    """A fake service's 429."""


class Broken(Exception):
    """A fake service's refusal."""


def classify(exc: BaseException) -> Retry | None:
    if isinstance(exc, Throttled):
        return Retry("throttled", after=3.0)
    if isinstance(exc, ConnectionError):
        return Retry("no connection")
    return None


class Unavailable(TransientError):
    """The fake service's own transient error."""


def _caller(slept: list[float], budgets: list[Throttle] | None = None,
            attempts: int = 3) -> ApiCaller:
    return ApiCaller(classify, max_attempts=attempts, backoff=Backoff(first=1.0, most=2.0),
                     budgets=budgets or [],
                     gave_up=lambda out: Unavailable(f"{out.label}: {out.tries} tries, "
                                                     f"{out.reason}"),
                     sleep=slept.append)


def _failing(*failures: BaseException) -> Callable[[], str]:
    answers = iter(failures)

    def request() -> str:
        failure = next(answers, None)
        if failure is None:
            return "answer"
        raise failure
    return request


def test_a_pause_the_service_asks_for_is_waited_and_holds_the_budget_back() -> None:
    slept: list[float] = []
    budget_waits: list[float] = []
    now = [100.0]

    def budget_sleep(seconds: float) -> None:
        budget_waits.append(seconds)
        now[0] += seconds

    budget = Throttle(rate=10, burst=10, clock=lambda: now[0], sleep=budget_sleep)
    caller = _caller(slept, [budget])
    assert caller.call("read", _failing(Throttled(), ConnectionError())) == "answer"
    assert slept[0] == 3.0 and 1.0 <= slept[1] <= 2.0  # asked for, then the backoff
    assert sum(budget_waits) >= 3.0  # the next request waited out the pause in the budget
    assert caller.requests["read"] == 3 and caller.retries["read"] == 2
    assert caller.total_requests == 3


def test_when_the_tries_run_out_the_connector_s_own_error_says_why() -> None:
    caller = _caller([], attempts=2)
    with pytest.raises(Unavailable, match="read: 2 tries, no connection") as caught:
        caller.call("read", _failing(*[ConnectionError()] * 3))
    assert isinstance(caught.value, TransientError)


def test_a_failure_the_classifier_gives_up_on_goes_back_as_it_was() -> None:
    caller = _caller([])
    with pytest.raises(Broken):
        caller.call("write", _failing(ConnectionError(), Broken()))
    assert caller.requests["write"] == 2


def test_the_default_error_when_tries_run_out_is_a_transient_error() -> None:
    caller = ApiCaller(classify, max_attempts=1, backoff=Backoff(0.1, 0.1))
    with pytest.raises(TransientError, match=r"no answer to read after 1 tries \(throttled\)"):
        caller.call("read", _failing(Throttled()))
    assert GaveUp("read", 1, Throttled(), "throttled").tries == 1


def test_paginate_asks_from_where_each_page_ended() -> None:
    items = list(range(7))
    asked: list[int] = []

    def fetch(start: int) -> ApiPage[int, int]:
        asked.append(start)
        chunk = items[start:start + 3]
        return ApiPage(chunk, start + len(chunk), more=start + 3 < len(items))

    pages = list(paginate(fetch, 0))
    assert [p.items for p in pages] == [[0, 1, 2], [3, 4, 5], [6]]
    assert asked == [0, 3, 6] and pages[-1].after == 7 and not pages[-1].more
