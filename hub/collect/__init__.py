"""Collection rules: payment reminders for overdue invoices (``billing-hub collect``).

- :mod:`hub.collect.settings`: the ``[collections]`` section (stages, templates);
- :mod:`hub.collect.plan`: which invoice is due which reminder, and queueing it once;
- :mod:`hub.collect.sender`: sending the queued reminders through a
  :class:`hub.contract.mail.Mailer`.
"""
