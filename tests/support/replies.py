"""The labelled replies of tests/data/replies (their format: its README.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

CLASSES = ("dispute", "stop", "promise", "remittance", "out_of_office", "bounce", "question",
           "other")
DEFAULT_DATE = "Tue, 01 Dec 2026 09:30:00 +0000"


@dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled reply: its RFC 822 bytes and what it says."""

    id: str
    label: str
    source: bytes
    invoices: tuple[str, ...]
    date: date | None


def load(path: Path) -> list[Labelled]:
    """Every reply in ``path``."""
    text = path.read_text(encoding="utf-8")
    out: list[Labelled] = []
    for block in re.split(r"(?m)^(?=### )", text):
        if not block.startswith("### "):
            continue
        first, _, message = block.partition("\n")
        fields = dict(part.strip().split("=", 1) for part in first[4:].split("|"))
        if fields["label"] not in CLASSES:
            raise ValueError(f"{fields['id']}: unknown label {fields['label']!r}")
        out.append(Labelled(
            id=fields["id"], label=fields["label"], source=_message(fields["id"], message),
            invoices=tuple(n for n in fields.get("invoices", "").split(",") if n),
            date=date.fromisoformat(fields["date"]) if fields.get("date") else None))
    return out


def _message(key: str, text: str) -> bytes:
    head, _, body = text.partition("\n\n")
    names = {line.split(":", 1)[0].lower() for line in head.splitlines()
             if ":" in line and not line[:1].isspace()}
    extra = []
    if "date" not in names:
        extra.append(f"Date: {DEFAULT_DATE}")
    if "to" not in names:
        extra.append("To: ar@northwind.example")
    if "message-id" not in names:
        extra.append(f"Message-ID: <{key}@corpus.example>")
    if "content-type" not in names:
        extra += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                  "Content-Transfer-Encoding: 8bit"]
    whole = "\n".join([head, *extra]) + "\n\n" + body.rstrip("\n") + "\n"
    return whole.replace("\n", "\r\n").encode("utf-8")
