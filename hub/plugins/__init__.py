"""The installed plugins: found through the ``billing_hub`` entry points
(:mod:`hub.plugins.loader`, with the hub's own plugins first), and what they
offer, collected by one typed collector with one failure policy
(:mod:`hub.plugins.offers`)."""

from hub.plugins.loader import (
    DEFAULT_PLUGINS,
    ENTRY_POINT_GROUP,
    PluginRegistry,
    collect,
    demo_services,
    load_plugins,
    new_manager,
    notify,
)
from hub.plugins.offers import PluginInfo

__all__ = ["DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "PluginInfo", "PluginRegistry", "collect",
           "demo_services", "load_plugins", "new_manager", "notify"]
