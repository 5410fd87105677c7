"""Cash application: which invoices each receipt pays, decided as a coordinator would.

:mod:`refs` reads invoice references however payers write them, :mod:`names`
and :mod:`payers` tell who paid, :mod:`classify` names the bank lines that are
not customers' payments, :mod:`decide` reads a receipt against balances, and
:mod:`run` decides every receipt in booking order; :mod:`findings` turns the
decisions into findings.
"""
