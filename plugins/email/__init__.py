"""The email plugin: remittance advice in over IMAP, payment reminders out over SMTP.

- :mod:`plugins.email.config`: the ``[connectors.NAME]`` section (``type = "email"``);
- :mod:`plugins.email.remittance`: reading a remittance e-mail as a canonical payment;
- :mod:`plugins.email.connector`: the connector (pull by IMAP UID, send by SMTP);
- :mod:`plugins.email.smtp`: handing one reminder to an SMTP server, with retries.
"""
