"""The frozen time of the Stripe simulator's tests that need fixed times."""

NOW = 1_767_225_600
"""2026-01-01T00:00:00Z."""
