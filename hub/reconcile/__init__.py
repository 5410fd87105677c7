"""The reconciler: findings a coordinator can act on.

It reads the store (never an outside system), links the same invoice across
systems, applies every registered finding rule (:mod:`runner`, the built-in
ones registered as a plugin by :mod:`default_rules`, with the work they share
in :mod:`context`), suggests what unapplied payments pay through the
registered match rules (:mod:`matching`, :mod:`match_rules`) and merges the
findings into the store by their stable keys (:mod:`lifecycle`).

The package itself imports nothing, so the plugin loader can register the
built-in rules (:mod:`default_rules`) without loading the reconciler.
"""
