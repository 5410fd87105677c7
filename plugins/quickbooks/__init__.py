"""QuickBooks Online: the connector (through python-quickbooks) and a local simulator."""
