"""Collection rules: payment reminders for overdue invoices (``billing-hub collect``).

- :mod:`hub.collect.settings`: the ``[collections]`` section (stages, templates, contact
  hours, cap, weekends and holidays);
- :mod:`hub.collect.plan`: which invoice is due which reminder, and queueing it once
  (or recording it held);
- :mod:`hub.collect.holds`: a hold, the rule that stops a reminder and why;
- :mod:`hub.collect.known`: holds from what the hub knows in every system;
- :mod:`hub.collect.timing`: when a reminder may go (the customer's time, the cap);
- :mod:`hub.collect.gate`: the one place the planner and the sender ask;
- :mod:`hub.collect.sender`: sending the queued reminders through a
  :class:`hub.contract.mail.Mailer`;
- :mod:`hub.collect.run`: one ``collect``, as a recorded run, by hand or scheduled.
"""
