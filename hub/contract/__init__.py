"""What a plugin implements and what it hands the hub.

The hook specifications (:mod:`hub.contract.hookspecs`), the connector
contract (:mod:`hub.contract.connector`), the rule contract of the reconciler
(:mod:`hub.contract.rules`, :mod:`hub.contract.rows`), the mail and demo
services a plugin may offer, and the plain records of a run that observer
hooks receive.
Plugins import these names from :mod:`hub`, the public face, not from here.
"""
