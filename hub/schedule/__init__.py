"""Jobs that run on their own: the ``[schedule]`` of the config.

Two ways to run them, one schedule: :mod:`hub.schedule.embedded` runs it in
the hub's own process, one job at a time (any store, the default);
:mod:`hub.workers` hands it to procrastinate workers on the PostgreSQL store,
so the jobs of many companies spread over many machines.
"""
