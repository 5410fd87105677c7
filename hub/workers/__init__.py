"""The ``[schedule]`` on procrastinate workers, for a PostgreSQL store.

procrastinate (a task queue kept in PostgreSQL) keeps its tables in the
store's own database and schema. Any number of ``billing-hub worker``
processes, on any number of machines, take jobs from it; every worker
defers the periodic jobs of the schedule, and the database lets each tick
through once. A sync job holds a lock named after its connector, so two
workers never sync one connector at once, and a queueing lock, so a
connector never has more than one sync waiting. Only :mod:`hub.cli` imports
this package, and only for the commands that need it.
"""
