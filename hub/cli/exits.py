"""Exit codes, the same for every command, so scripts and schedulers can act on them.

======  =============================================================
code    meaning
======  =============================================================
0       done
1       a run failed (a connector or the store reported an error)
2       bad usage or configuration (unknown option, bad config value,
        unknown connector, missing plugin)
3       done, but some records wait for a person (quarantined, or
        changes a system rejected or that were given up)
130     interrupted (Ctrl-C)
======  =============================================================
"""

OK = 0
FAILED = 1
USAGE = 2
QUARANTINED = 3
NEEDS_PERSON = 3
INTERRUPTED = 130
