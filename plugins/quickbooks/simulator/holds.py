"""Requests stopped at a point until a test lets them go (:mod:`hub.testing.holds`)."""

from hub.testing import Hold, Holds

__all__ = ["Hold", "Holds"]
