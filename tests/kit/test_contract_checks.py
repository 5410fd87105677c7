"""The contract's checks as classes: each documented, each a test, each in the guide.

The test ids of :class:`ConnectorContract` are what connector authors and CI
select by, so they are written out here in full.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import get_args

from hub.contract.connector import EntitySupport
from hub.testing import ConnectorContract, ContractKit
from hub.testing.checks import CHECK_CLASSES, CHECKS, ConnectorCheck, EntityCheck
from hub.testing.checks.base import Capability

ROOT = Path(__file__).resolve().parents[2]

CONTRACT_TESTS = [
    "test_registers_through_the_entry_point",
    "test_declares_its_capabilities_truthfully",
    "test_full_pull_returns_every_record_once",
    "test_records_are_canonical",
    "test_pull_resumes_from_every_cursor",
    "test_incremental_pull_returns_the_change",
    "test_malformed_payload_is_rejected_readably",
    "test_stored_payload_maps_again",
    "test_push_twice_with_one_key_creates_one_record",
    "test_webhook_rejects_a_bad_signature",
    "test_webhook_rejects_a_replay",
    "test_webhook_rejects_a_stale_delivery",
    "test_send_twice_with_one_key_sends_once",
    "test_disputes_carry_what_the_hub_acts_on",
]


def test_the_contract_makes_one_test_per_check_with_the_names_it_always_had() -> None:
    made = [name for name in vars(ConnectorContract) if name.startswith("test_")]
    assert made == CONTRACT_TESTS
    assert [check.test for check in CHECK_CLASSES] == CONTRACT_TESTS


def test_an_entity_check_is_a_test_per_entity_a_connector_check_one_test() -> None:
    for check in CHECK_CLASSES:
        parameters = inspect.signature(getattr(ConnectorContract, check.test)).parameters
        assert ("entity" in parameters) is issubclass(check, EntityCheck), check.__name__
        assert issubclass(check, EntityCheck) is not issubclass(check, ConnectorCheck)


def test_every_check_is_a_documented_class_with_its_own_name_and_kit_method() -> None:
    assert len({check.name for check in CHECK_CLASSES}) == len(CHECK_CLASSES)
    assert list(CHECKS) == [f"check_{check.name}" for check in CHECK_CLASSES]
    flags = {f.name for f in dataclasses.fields(EntitySupport) if f.type in (bool, "bool")}
    assert set(get_args(Capability)) == flags
    for check in CHECK_CLASSES:
        assert check.__doc__ and "\n\n" in check.__doc__.strip(), (
            f"{check.__name__} needs a docstring: its rule in a line, then in full")
        assert callable(getattr(ContractKit, f"check_{check.name}"))
        if issubclass(check, EntityCheck):
            assert check.requires in flags


def _guide_section() -> str:
    text = (ROOT / "docs" / "connectors.md").read_text(encoding="utf-8")
    return text[text.index("## 9. The contract test kit"):text.index("## 10.")]


def test_the_guide_lists_every_check_with_its_class_module_and_capability() -> None:
    rows = [line for line in _guide_section().splitlines() if line.startswith("| `test_")]
    assert [re.findall(r"`(test_\w+)", row)[0] for row in rows] == CONTRACT_TESTS
    for row, check in zip(rows, CHECK_CLASSES, strict=True):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        module = check.__module__.rsplit(".", 1)[1]
        assert cells[1] == f"`{check.__name__}` (`{module}.py`)"
        needs = f"`{check.requires}`" if issubclass(check, EntityCheck) else ""
        assert cells[2] == needs
        assert cells[0].endswith("[entity]`") is issubclass(check, EntityCheck)


def test_the_contract_tests_are_marked_for_selection() -> None:
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-m", "connector_contract", "tests/connectors/csv"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert collected.returncode == 0, collected.stdout[-2000:] + collected.stderr[-2000:]
    ids = [line for line in collected.stdout.splitlines() if "::" in line]
    assert ids and all("::TestCsvContract::" in i for i in ids)
    assert {i.split("::")[-1].split("[")[0] for i in ids} == set(CONTRACT_TESTS)
