"""Plumbing shared by connector plugins: calling a rate-limited API (:mod:`.calls`,
with the request budgets of :mod:`.throttle`), reading its lists page by page
(:mod:`.paging`) and guarding webhooks against replays (:mod:`.replay`).

Plugins import these names from :mod:`hub`, the public face, not from here.
"""
