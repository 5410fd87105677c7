"""The row types, which moved to :mod:`hub.contract.rows` (the rule contract).

Kept so that the reconciler's modules that import them from here keep working.
"""

from hub.contract.rows import Application, CustomerRow, InvoiceRow, PaymentRow

__all__ = ["Application", "CustomerRow", "InvoiceRow", "PaymentRow"]
