"""``billing-hub plugin new NAME``: write a new connector plugin package.

The package is rendered from the templates beside this module
(``templates/*.tmpl``, shipped in the wheel) with :class:`string.Template`:
an installable project with the ``billing_hub`` entry point, a connector for
one entity (invoices) that pulls, pushes and verifies webhooks, its config
model, a fake of the remote API, and tests that run the contract kit. It
passes its own tests, ruff and mypy as written.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

from hub.errors import HubError

MAX_NAME = 20
NAME_RULE = re.compile(r"^[a-z][a-z0-9_]*$")
TEMPLATE_SUFFIX = ".tmpl"


class ScaffoldError(HubError):
    """The plugin cannot be written: a bad name, or a folder already there."""


@dataclass(frozen=True, slots=True)
class PluginNames:
    """The names one connector name gives a new plugin package."""

    name: str
    """The connector type and entry-point name (``acme_erp``)."""

    @property
    def dist(self) -> str:
        """The distribution name (``billing-hub-acme-erp``)."""
        return "billing-hub-" + self.name.replace("_", "-")

    @property
    def package(self) -> str:
        """The import package (``billing_hub_acme_erp``)."""
        return "billing_hub_" + self.name

    @property
    def class_prefix(self) -> str:
        """The prefix of its class names (``AcmeErp``)."""
        return "".join(part.capitalize() for part in self.name.split("_") if part)

    @property
    def title(self) -> str:
        """How the system is called in prose (``Acme Erp``)."""
        return " ".join(part.capitalize() for part in self.name.split("_") if part)

    @property
    def env(self) -> str:
        """The prefix of its environment variables (``ACME_ERP``)."""
        return self.name.upper()


def check_name(name: str, taken: set[str] | frozenset[str] = frozenset()) -> PluginNames:
    """The names for connector ``name``, or a :class:`ScaffoldError` saying what to type."""
    if len(name) > MAX_NAME:
        raise ScaffoldError(f"{name!r} is {len(name)} characters long; keep a connector's "
                            f"name to {MAX_NAME} (it names classes and packages)",
                            hint="for example `billing-hub plugin new acme_erp`")
    if not NAME_RULE.match(name) or keyword.iskeyword(name) or "__" in name or (
            name.endswith("_")):
        suggestion = re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", name.lower())).strip("_")
        if suggestion and not suggestion[0].isalpha():
            suggestion = "x" + suggestion
        if not suggestion or keyword.iskeyword(suggestion):
            suggestion = "acme"
        raise ScaffoldError(
            f"{name!r} cannot name a connector: use lowercase letters, digits and single "
            "underscores, starting with a letter (it becomes the connector type, a Python "
            "package name and an entry-point name)",
            hint=f"for example `billing-hub plugin new {suggestion[:MAX_NAME]}`")
    if name in taken:
        raise ScaffoldError(
            f"a connector type named {name!r} is already installed",
            hint="pick another name: two plugins offering one type cannot both load")
    return PluginNames(name)


def _hub_version() -> str:
    try:
        return version("billing-hub")
    except PackageNotFoundError:  # running from a checkout that is not installed
        return "0.1"


def _templates(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            found.extend(_templates(entry, f"{prefix}{entry.name}/"))
        elif entry.name.endswith(TEMPLATE_SUFFIX):
            found.append((prefix + entry.name.removesuffix(TEMPLATE_SUFFIX), entry))
    return found


def _target(relative: str, names: PluginNames) -> str:
    """Where a template's output goes inside the new project."""
    if relative.startswith("package/"):
        return f"src/{names.package}/" + relative.removeprefix("package/")
    if relative == "gitignore":
        return ".gitignore"
    return relative


def render(names: PluginNames) -> dict[str, str]:
    """Every file of the new project: relative path -> text."""
    values = {
        "name": names.name, "dist": names.dist, "package": names.package,
        "Name": names.class_prefix, "title": names.title, "env": names.env,
        "hub_version": _hub_version(),
    }
    return {_target(relative, names): Template(entry.read_text("utf-8")).substitute(values)
            for relative, entry in _templates(files("hub.scaffold") / "templates")}


def new_plugin(name: str, parent: Path, *, taken: set[str] | frozenset[str] = frozenset()
               ) -> Path:
    """Write the plugin project for connector ``name`` in ``parent``; its folder.

    ``taken`` are connector types already installed. Refuses to write into a
    folder that exists, so nothing of anyone's is overwritten.
    """
    names = check_name(name, taken)
    root = parent / names.dist
    if root.exists():
        raise ScaffoldError(f"{root} already exists; nothing was written",
                            hint="remove it, or pass --dir to write the plugin elsewhere")
    rendered = render(names)
    root.mkdir(parents=True)
    for relative, text in rendered.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
