"""The Stripe connector's own request layer: the budget and when to try again."""

from __future__ import annotations

import pytest
import stripe

from hub.connectors.throttle import Throttle
from plugins.stripe.api import retry_after, retryable


class FakeClock:
    """A clock that moves only when the throttle sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_throttle_lets_a_burst_through_then_paces_requests() -> None:
    clock = FakeClock()
    throttle = Throttle(rate=20, burst=4, clock=clock, sleep=clock.sleep)
    waits = [throttle.wait() for _ in range(24)]
    assert waits[:4] == [0.0] * 4            # the burst
    assert all(w > 0 for w in waits[4:])     # then one every 1/20 s
    assert clock.now - 100.0 == pytest.approx(20 / 20)  # 20 more requests took one second


def test_a_429_holds_every_thread_back_for_as_long_as_stripe_asked() -> None:
    clock = FakeClock()
    throttle = Throttle(rate=10, burst=10, clock=clock, sleep=clock.sleep)
    throttle.slow_down(2.0)
    throttle.wait()
    assert clock.now - 100.0 == pytest.approx(2.1)  # 2 s asked for, then the next slot


def _error(cls: type[stripe.StripeError], status: int | None, **headers: str
           ) -> stripe.StripeError:
    if issubclass(cls, stripe.InvalidRequestError):
        return cls("boom", None, http_status=status, headers=headers or None)
    return cls("boom", http_status=status, headers=headers or None)


@pytest.mark.parametrize(("error", "again"), [
    (_error(stripe.RateLimitError, 429), True),
    (_error(stripe.APIConnectionError, None), True),
    (_error(stripe.APIError, 500), True),
    (_error(stripe.APIError, 503), True),
    (_error(stripe.IdempotencyError, 409), True),      # the same key still in flight
    (_error(stripe.InvalidRequestError, 400), False),
    (_error(stripe.AuthenticationError, 401), False),
    (_error(stripe.IdempotencyError, 400), False),     # same key, other parameters
    (_error(stripe.APIError, 500, **{"Stripe-Should-Retry": "false"}), False),
    (_error(stripe.InvalidRequestError, 400, **{"Stripe-Should-Retry": "true"}), True),
])
def test_what_is_tried_again(error: stripe.StripeError, again: bool) -> None:
    assert retryable(error) is again


def test_retry_after_is_read_from_the_answer() -> None:
    assert retry_after(_error(stripe.RateLimitError, 429, **{"Retry-After": "2"})) == 2.0
    assert retry_after(_error(stripe.RateLimitError, 429, **{"retry-after": "0.5"})) == 0.5
    assert retry_after(_error(stripe.RateLimitError, 429)) is None
    assert retry_after(_error(stripe.RateLimitError, 429, **{"Retry-After": "soon"})) is None
