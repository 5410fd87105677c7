"""Checks of the connector as a whole: how it is registered and what it declares."""

from __future__ import annotations

from collections import Counter
from importlib.metadata import entry_points

from pydantic import BaseModel

from hub.models import ENTITY_MODELS
from hub.plugins import ENTRY_POINT_GROUP
from hub.testing.checks.base import ConnectorCheck
from hub.testing.checks.errors import ContractViolation

__all__ = ["CapabilitiesCheck", "RegistrationCheck"]


class RegistrationCheck(ConnectorCheck):
    """The plugin is installed, loads through the entry point and offers a sane spec.

    The plugin is found through the ``billing_hub`` entry points and belongs to
    an installed distribution (not a folder on ``sys.path``); it implements
    only billing-hub's hooks (a misspelt hook is an error, not ignored); its
    ``ConnectorSpec`` has a description, a pydantic config model, and at least
    one entity, each a canonical entity declared once.
    """

    name = "registration"
    test = "test_registers_through_the_entry_point"

    def run(self) -> None:
        context = self.context
        info = context.plugin()
        points = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
        if info.name not in points:
            raise ContractViolation(
                f"plugin {info.name!r} was not found through the {ENTRY_POINT_GROUP!r} entry "
                "points")
        if info.distribution is None:
            raise ContractViolation(
                f"plugin {info.name!r} belongs to no installed distribution: install the "
                "package (pip install -e .) rather than putting it on sys.path")
        for name, caller in vars(context.registry.manager.hook).items():
            if not caller.has_spec():
                for impl in caller.get_hookimpls():
                    if impl.plugin_name == info.name:
                        raise ContractViolation(
                            f"plugin {info.name!r} implements {name!r}, which is not a "
                            "billing-hub hook (misspelt? see hub/contract/hookspecs.py)")
        spec = context.spec()
        if not spec.description.strip():
            raise ContractViolation(f"connector {spec.name!r} has an empty description")
        if not (isinstance(spec.config_model, type) and issubclass(spec.config_model, BaseModel)):
            raise ContractViolation(
                f"connector {spec.name!r}: config_model must be a pydantic model class")
        if not spec.entities:
            raise ContractViolation(f"connector {spec.name!r} declares no entity")
        repeated = [e for e, n in Counter(s.entity for s in spec.entities).items() if n > 1]
        if repeated:
            raise ContractViolation(
                f"connector {spec.name!r} declares {', '.join(repeated)} more than once")
        unknown = [s.entity for s in spec.entities if s.entity not in ENTITY_MODELS]
        if unknown:
            raise ContractViolation(
                f"connector {spec.name!r} declares {', '.join(unknown)}, not canonical "
                f"entities (known: {', '.join(sorted(ENTITY_MODELS))})")


class CapabilitiesCheck(ConnectorCheck):
    """What the spec declares is what the connector class implements, and no more.

    ``push`` declared for some entity if and only if the class overrides
    ``Connector.push``, ``webhook`` likewise with ``Connector.verify_webhook``;
    ``incremental`` and ``webhook`` only on an entity that is pulled;
    ``apply_payments`` only on ``invoice`` and only with ``Connector.push``; ``send``
    only on ``invoice``, if and only if the class overrides ``Connector.send_invoice``; and
    ``Connector.entities()`` lists only entities declared for pull.
    """

    name = "capabilities"
    test = "test_declares_its_capabilities_truthfully"

    def run(self) -> None:
        context = self.context
        spec = context.spec()
        for entity in context.entities():
            support = context.support(entity)
            if support.pull:
                context.seed(entity)
        connector = context.connector()
        cls = type(connector).__name__
        implemented = type(connector).implements()
        for capability, method in (("push", "push"), ("webhook", "verify_webhook"),
                                   ("send", "send_invoice")):
            declared = [e.entity for e in spec.entities if getattr(e, capability)]
            if declared and capability not in implemented:
                raise ContractViolation(
                    f"{spec.name!r} declares {capability} for {', '.join(declared)} but {cls} "
                    f"does not override Connector.{method}")
            if capability in implemented and not declared:
                raise ContractViolation(
                    f"{cls} overrides Connector.{method} but {spec.name!r} declares {capability} "
                    f"for no entity: set EntitySupport({capability}=True) where it works, or "
                    "remove the method")
        applying = [e.entity for e in spec.entities if e.apply_payments]
        if applying and "push" not in implemented:
            raise ContractViolation(
                f"{spec.name!r} declares apply_payments for {', '.join(applying)} but {cls} "
                "does not override Connector.push, which sends the applications")
        if any(entity != "invoice" for entity in applying):
            raise ContractViolation(
                f"{spec.name!r} declares apply_payments for {', '.join(applying)}: payments "
                "are applied to invoices, so only `invoice` can declare it")
        sending = [e.entity for e in spec.entities if e.send]
        if any(entity != "invoice" for entity in sending):
            raise ContractViolation(
                f"{spec.name!r} declares send for {', '.join(sending)}: only invoices are sent "
                "to customers, so only `invoice` can declare it")
        for support in spec.entities:
            if not support.pull and (support.incremental or support.webhook):
                what = "incremental" if support.incremental else "webhook"
                raise ContractViolation(
                    f"{spec.name!r} declares {what} for {support.entity} without pull: "
                    f"{'an incremental read' if what == 'incremental' else 'a webhook hint'} "
                    "is a pull")
        pulled = {e.entity for e in spec.entities if e.pull}
        stray = [e for e in connector.entities() if e not in pulled]
        if stray:
            raise ContractViolation(
                f"{cls}.entities() lists {', '.join(stray)}, which {spec.name!r} does not "
                "declare for pull")
