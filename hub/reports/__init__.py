"""What the coordinator reads: the mismatch report (table, HTML, CSV, JSON), the AR
metrics, the overview of what is owed, and formula-safe CSV exports of records."""
