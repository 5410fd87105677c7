"""The store's tables (SQLAlchemy Core). Alembic migrations create them.

Amounts that the reconciler compares are kept as integer minor units next to
their currency (exact on SQLite, whose NUMERIC is a float); the full record is
kept as the canonical JSON, and the source's payload beside it.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = sa.DateTime(timezone=True)

MAX_ID = 2**31 - 1
"""The largest id a table's ``id`` column holds (``INTEGER``: 32 bits on PostgreSQL). An
id asked for from outside (a page's address, a command's argument) beyond it names
nothing: compare with it before asking the database, which would refuse the number."""

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("connector", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("finished_at", TS),
    sa.Column("counts", sa.Text, nullable=False, server_default="{}"),
    sa.Column("error", sa.Text),
    sa.Column("pid", sa.Integer),
    sa.Column("host", sa.String(255)),
    sa.Index("ix_runs_connector_started", "connector", "started_at"),
)

records = sa.Table(
    "records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("entity", sa.String(64), nullable=False),
    sa.Column("external_id", sa.String(500), nullable=False),
    sa.Column("content_hash", sa.String(32), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("location", sa.Text),
    sa.Column("number", sa.String(200)),
    sa.Column("party", sa.String(500)),
    sa.Column("customer_ref", sa.String(500)),
    sa.Column("currency", sa.String(3)),
    sa.Column("amount_minor", sa.BigInteger),
    sa.Column("open_minor", sa.BigInteger),
    sa.Column("status", sa.String(32)),
    sa.Column("doc_date", sa.Date),
    sa.Column("due_date", sa.Date),
    sa.Column("source_modified", TS),
    sa.Column("first_seen_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("last_run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
    sa.Column("deleted_at", TS),
    sa.UniqueConstraint("source", "entity", "external_id"),
    sa.Index("ix_records_entity_number", "entity", "number"),
    sa.Index("ix_records_entity_customer", "entity", "customer_ref"),
)

links = sa.Table(
    "links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("left_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("right_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("method", sa.String(32), nullable=False),  # reference | rule | manual
    sa.Column("rule", sa.String(200)),
    sa.Column("state", sa.String(16), nullable=False, server_default="linked"),  # or rejected
    sa.Column("confidence", sa.String(16)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(200)),
    sa.UniqueConstraint("left_id", "right_id"),
)

cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("source", sa.String(200), primary_key=True),
    sa.Column("entity", sa.String(64), primary_key=True),
    sa.Column("cursor", sa.Text, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("entity", sa.String(64), nullable=False),
    sa.Column("fingerprint", sa.String(32), nullable=False),
    sa.Column("external_id", sa.String(500)),
    sa.Column("location", sa.Text),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False, server_default="[]"),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("first_seen_at", TS, nullable=False),
    sa.Column("last_seen_at", TS, nullable=False),
    sa.Column("times_seen", sa.Integer, nullable=False, server_default="1"),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
    sa.Column("resolved_at", TS),
    sa.UniqueConstraint("source", "entity", "fingerprint"),
    sa.Index("ix_quarantine_external", "source", "entity", "external_id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("entity", sa.String(64), nullable=False),
    sa.Column("operation", sa.String(32), nullable=False),
    sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id", ondelete="SET NULL")),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("result", sa.Text),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("sent_at", TS),
    sa.Index("ix_outbox_status_target", "status", "target"),
)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("record_ids", sa.Text, nullable=False, server_default="[]"),
    sa.Column("customer", sa.String(500)),
    sa.Column("currency", sa.String(3)),
    sa.Column("money_at_stake_minor", sa.BigInteger),
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False, server_default="{}"),
    sa.Column("note", sa.Text),
    sa.Column("actor", sa.String(200)),
    sa.Column("first_seen_at", TS, nullable=False),
    sa.Column("last_seen_at", TS, nullable=False),
    sa.Column("resolved_at", TS),
    sa.Index("ix_findings_status_kind", "status", "kind"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(500)),
    sa.Column("details", sa.Text, nullable=False, server_default="{}"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("connector", sa.String(200), nullable=False),
    sa.Column("delivery_id", sa.String(255), nullable=False),
    sa.Column("received_at", TS, nullable=False),
    sa.Column("hints", sa.Text, nullable=False, server_default="[]"),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("next_attempt_at", TS),
    sa.Column("processed_at", TS),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
    sa.UniqueConstraint("connector", "delivery_id"),
    sa.Index("ix_webhook_deliveries_status_received", "status", "received_at"),
)
"""Webhook deliveries taken in: each (connector, delivery id) once, with what it said
changed, until the sync it asked for has run. Never the body, headers or signature."""

credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("connector", sa.String(200), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("sealed", sa.Text, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)
"""Credentials a connector keeps between runs (a rotated OAuth refresh token), sealed
with the store's secret key (:mod:`hub.store.credentials`); never in clear text."""

reminders = sa.Table(
    "reminders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(64), nullable=False, unique=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("invoice_external_id", sa.String(500), nullable=False),
    sa.Column("invoice_id", sa.Integer, sa.ForeignKey("records.id", ondelete="SET NULL")),
    sa.Column("invoice_number", sa.String(200), nullable=False),
    sa.Column("stage_days", sa.Integer, nullable=False),
    sa.Column("template", sa.String(100), nullable=False),
    sa.Column("mailer", sa.String(200), nullable=False),
    sa.Column("to_address", sa.String(500), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("message_id", sa.String(300), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="queued"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("server_reply", sa.Text),
    sa.Column("queued_at", TS, nullable=False),
    sa.Column("sending_at", TS),
    sa.Column("sent_at", TS),
    sa.Column("customer", sa.String(700)),
    sa.Column("hold_rule", sa.String(64)),
    sa.Column("held_at", TS),
    sa.Index("ix_reminders_invoice", "source", "invoice_external_id"),
    sa.Index("ix_reminders_status", "status"),
    sa.Index("ix_reminders_customer", "customer"),
)
"""Payment reminders (``billing-hub collect``): one per invoice and collection stage, under
a deterministic key. ``sending`` is committed before the SMTP server is asked and ``sent``
after it accepted; a row left ``sending`` by a process that died is ``unconfirmed`` and
waits for a person (:mod:`hub.collect.sender`). ``customer`` names whom it contacts (for the
contact cap); ``hold_rule`` the rule holding it (status ``held``) or keeping it waiting
(status ``queued``), with the reason in ``last_error`` (:mod:`hub.collect.holds`)."""

payer_aliases = sa.Table(
    "payer_aliases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("name_key", sa.String(500), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("added_by", sa.String(200), nullable=False),
    sa.Column("added_at", TS, nullable=False),
    sa.Column("removed_by", sa.String(200)),
    sa.Column("removed_at", TS),
    sa.Index("ix_payer_aliases_customer", "customer_id", "name_key"),
)
"""Names a customer was learned to pay under (:mod:`hub.store.aliases`): the name as
written, its comparison key, who added it, when and why. Removing one stamps
``removed_at``/``removed_by``; the row stays, so the history is kept."""

# ---- contact state (issue 19: replies read and acted on) ----------------------------------
disputes = sa.Table(
    "disputes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("external_id", sa.String(500), nullable=False),
    sa.Column("customer", sa.String(700)),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("opened_at", TS, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("raw", sa.Text, nullable=False, server_default="{}"),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("source", "external_id"),
    sa.Index("ix_disputes_customer_status", "customer", "status"),
)
"""Canonical disputes (:class:`hub.models.Dispute`), from a customer's reply or a service."""

promises = sa.Table(
    "promises",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("external_id", sa.String(500), nullable=False),
    sa.Column("customer", sa.String(700)),
    sa.Column("promised_date", sa.Date, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("raw", sa.Text, nullable=False, server_default="{}"),
    sa.Column("made_at", TS, nullable=False),
    sa.UniqueConstraint("source", "external_id"),
    sa.Index("ix_promises_customer", "customer", "promised_date"),
)
"""Canonical promises to pay (:class:`hub.models.Promise`)."""

payment_plans = sa.Table(
    "payment_plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("external_id", sa.String(500), nullable=False),
    sa.Column("customer", sa.String(700)),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("agreed_at", TS, nullable=False),
    sa.Column("agreed_by", sa.String(200), nullable=False),
    sa.Column("cancelled_at", TS),
    sa.Column("cancelled_by", sa.String(200)),
    sa.UniqueConstraint("source", "external_id"),
    sa.Index("ix_payment_plans_customer", "customer"),
)
"""Payment plans a coordinator agreed (:class:`hub.models.PaymentPlan`)."""

payment_plan_invoices = sa.Table(
    "payment_plan_invoices",
    metadata,
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("payment_plans.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("invoice", sa.String(800), primary_key=True),
    sa.Index("ix_payment_plan_invoices_invoice", "invoice"),
)
"""Which invoices (``SOURCE:invoice:ID``) each plan covers."""

contact_blocks = sa.Table(
    "contact_blocks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer", sa.String(700)),
    sa.Column("kind", sa.String(32), nullable=False),  # stop | away | bounced
    sa.Column("address", sa.String(500)),
    sa.Column("until", sa.Date),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("origin", sa.String(700), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("lifted_at", TS),
    sa.Column("lifted_by", sa.String(200)),
    sa.UniqueConstraint("kind", "origin"),
    sa.Index("ix_contact_blocks_customer", "customer", "kind"),
    sa.Index("ix_contact_blocks_address", "address"),
)
"""What stops contact with a customer: a stop they asked for (until a coordinator lifts
it), an absence (until a date), an address that bounced. Lifting stamps ``lifted_*``."""

contact_events = sa.Table(
    "contact_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer", sa.String(700)),
    sa.Column("at", TS, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False, server_default="{}"),
    sa.Column("ref", sa.String(700)),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("open", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("ref"),
    sa.Index("ix_contact_events_customer_at", "customer", "at"),
)
"""Each customer's contact history: replies, holds, disputes, promises, notes, stops and
resumes. ``ref`` makes an event once only (a reply is acted on once); ``open`` marks the
ones waiting on a person's worklist (``billing-hub reminders inbox``)."""
invoice_sends = sa.Table(
    "invoice_sends",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(64), nullable=False, unique=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("invoice_external_id", sa.String(500), nullable=False),
    sa.Column("invoice_id", sa.Integer, sa.ForeignKey("records.id", ondelete="SET NULL")),
    sa.Column("invoice_number", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("via", sa.String(200), nullable=False),
    sa.Column("to_address", sa.String(500)),
    sa.Column("message_id", sa.String(300)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("answer", sa.Text),
    sa.Column("last_error", sa.Text),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("sent_at", TS),
    sa.Column("delivered_at", TS),
    sa.UniqueConstraint("source", "invoice_external_id"),
    sa.Index("ix_invoice_sends_status", "status"),
)
"""Invoices sent to their customers (``billing-hub invoices send``): one row per invoice,
under a key derived from it. ``sending`` is committed before the system or the mail
server is asked; the answer is committed after. A row left ``sending`` by a process that
died is asked again under the same key where the system keeps idempotency keys (Stripe,
QuickBooks), and is ``unconfirmed`` for a person where it does not (SMTP)
(:mod:`hub.invoicing.sender`)."""

record_history = sa.Table(
    "record_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("change", sa.String(16), nullable=False),  # created|changed|deleted|restored|known
    sa.Column("learned_at", TS, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
    sa.Column("content_hash", sa.String(32), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("number", sa.String(200)),
    sa.Column("party", sa.String(500)),
    sa.Column("customer_ref", sa.String(500)),
    sa.Column("currency", sa.String(3)),
    sa.Column("amount_minor", sa.BigInteger),
    sa.Column("open_minor", sa.BigInteger),
    sa.Column("status", sa.String(32)),
    sa.Column("doc_date", sa.Date),
    sa.Column("due_date", sa.Date),
    sa.Column("source_modified", TS),
    sa.Index("ix_record_history_record", "record_id", "learned_at"),
    sa.Index("ix_record_history_learned", "learned_at"),
)
"""Every state a record was in (:mod:`hub.store.history`): its canonical JSON and filter
columns as written, when the hub learned it (``learned_at``) and the source's own time
(``source_modified``, when the source gives one). Written by the transaction that writes
the record; a re-sync that changes nothing writes nothing."""

finding_history = sa.Table(
    "finding_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("record_ids", sa.Text, nullable=False),
    sa.Column("customer", sa.String(500)),
    sa.Column("currency", sa.String(3)),
    sa.Column("money_at_stake_minor", sa.BigInteger),
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("actor", sa.String(200)),
    sa.Column("resolved_at", TS),
    sa.Index("ix_finding_history_finding", "finding_id", "at"),
    sa.Index("ix_finding_history_at", "at"),
)
"""Every state a finding was in: written with each insert, change of what it says and
change of status, so the findings can be read as they stood at any moment."""

run_totals = sa.Table(
    "run_totals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("entity", sa.String(64), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("read_count", sa.Integer, nullable=False),
    sa.Column("read_minor", sa.BigInteger, nullable=False),
    sa.Column("stored_count", sa.Integer, nullable=False),
    sa.Column("stored_minor", sa.BigInteger, nullable=False),
    sa.Column("quarantined_count", sa.Integer, nullable=False),
    sa.Column("skipped_count", sa.Integer, nullable=False),
    sa.UniqueConstraint("run_id", "entity", "currency"),
)
"""Control totals of a sync run per entity and currency ('' for rows without money or
whose currency is unknown: quarantined and skipped rows, customers)."""

run_controls = sa.Table(
    "run_controls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("connector", sa.String(200), nullable=False),
    sa.Column("entity", sa.String(64), nullable=False),
    sa.Column("basis", sa.Text, nullable=False),
    sa.Column("covers", sa.String(10), nullable=False),
    sa.Column("stated_count", sa.Integer),
    sa.Column("held_count", sa.Integer),
    sa.Column("quarantined_count", sa.Integer, nullable=False),
    sa.Column("sums", sa.Text, nullable=False),
    sa.Column("short", sa.Boolean, nullable=False),
    sa.Index("ix_run_controls_connector_entity", "connector", "entity", "run_id"),
)
"""What a source stated of its own totals in a sync run, beside what the hub held:
``sums`` is JSON, currency -> [stated minor units, held minor units]."""

reconcile_measures = sa.Table(
    "reconcile_measures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("measured_at", TS, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("cash_minor", sa.BigInteger, nullable=False),
    sa.Column("applied_minor", sa.BigInteger, nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("open_findings", sa.Integer, nullable=False),
    sa.UniqueConstraint("run_id", "currency"),
)
"""A reconcile run's measures per currency, for the trend of its rates: the cash received
and the part of it applied, the invoices and payments, and the open findings (a row with
currency '' holds the findings that name no currency)."""

reconcile_open_findings = sa.Table(
    "reconcile_open_findings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("money_minor", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("run_id", "kind", "currency"),
)
"""The open findings after a reconcile run, per kind and currency, with their money."""
