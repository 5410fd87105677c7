"""Invoices out: delivering each invoice to its customer once (``billing-hub invoices send``).

- :mod:`hub.invoicing.settings`: the ``[invoicing]`` section (whose invoices, the
  mailer for systems that cannot send, the deadline for the finding);
- :mod:`hub.invoicing.wording`: amounts in the currency's format and the customer's
  locale, and the e-mail's words;
- :mod:`hub.invoicing.pdf`: the invoice as a PDF, for the e-mail channel;
- :mod:`hub.invoicing.sender`: which channel sends an invoice, and sending it at most once;
- :mod:`hub.invoicing.findings`: ``invoice_not_sent`` and ``invoice_sent_late``.
"""
