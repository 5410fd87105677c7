"""The QuickBooks Online connector and its local simulator."""
