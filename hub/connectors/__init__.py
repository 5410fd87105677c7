"""Plumbing shared by connector plugins: request budgets, webhook replay guards.

Plugins import these names from :mod:`hub`, the public face, not from here.
"""
