"""The hub's HTTP service: an ASGI app (:mod:`hub.web.app`) served by uvicorn
(:mod:`hub.web.server`), with a background worker (:mod:`hub.web.worker`).

Run it with ``billing-hub serve``. Its settings (:mod:`hub.web.settings`, the
``[web]`` section) load with the config without importing the web framework,
so this package imports nothing itself.
"""
