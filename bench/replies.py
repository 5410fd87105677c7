"""How well replies to reminders are read: precision and recall per class.

    .venv/bin/python bench/replies.py            # both sets
    .venv/bin/python bench/replies.py --show     # and every miss

Reads tests/data/replies/tune.mails (what the rules were written on) and
holdout.mails (written before the rules, never used to tune them) through
the email plugin's own reader (:func:`plugins.email.inbound.read_inbound`),
each message as the RFC 822 bytes a mailbox would hold. Prints, per set and
class, precision and recall, the accuracy of the dates read (promised date,
return date) and of the invoice numbers, and the targets: each class >= 0.9,
stop and dispute at recall 1.0.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub import Payment  # noqa: E402
from plugins.email.config import ParsingRules  # noqa: E402
from plugins.email.inbound import read_inbound  # noqa: E402
from tests.support.replies import CLASSES, Labelled, load  # noqa: E402


def read_kind(item: Labelled, rules: ParsingRules) -> tuple[str, object]:
    record = read_inbound(item.source, rules, connector="mail", external_id=item.id)
    if isinstance(record, Payment):
        return "remittance", record
    return record.kind.value, record


def score(name: str, items: list[Labelled], show: bool) -> bool:
    rules = ParsingRules()
    predicted: dict[str, str] = {}
    dated = dated_ok = numbered = numbered_ok = 0
    misses: list[str] = []
    for item in items:
        kind, record = read_kind(item, rules)
        predicted[item.id] = kind
        if item.date is not None and kind == item.label:
            dated += 1
            got = getattr(record, "promised_date", None) or getattr(record, "return_date", None)
            dated_ok += got == item.date
            if show and got != item.date:
                misses.append(f"  date {item.id}: expected {item.date}, read {got}")
        if item.invoices and kind == item.label and not isinstance(record, Payment):
            numbered += 1
            got_numbers = set(getattr(record, "invoice_numbers", []))
            numbered_ok += set(item.invoices) <= got_numbers
        if show and kind != item.label:
            misses.append(f"  miss {item.id}: expected {item.label}, read {kind}")
    ok = True
    print(f"\n{name}: {len(items)} replies")
    print(f"  {'class':<14} {'n':>3} {'precision':>9} {'recall':>7}")
    for cls in CLASSES:
        truth = [i for i in items if i.label == cls]
        said = [i for i in items if predicted[i.id] == cls]
        hits = sum(1 for i in truth if predicted[i.id] == cls)
        precision = hits / len(said) if said else 1.0
        recall = hits / len(truth) if truth else 1.0
        need = 1.0 if cls in ("stop", "dispute") else 0.9
        met = precision >= 0.9 and recall >= need
        ok = ok and met
        print(f"  {cls:<14} {len(truth):>3} {precision:>9.2f} {recall:>7.2f}"
              f"{'' if met else '   below target'}")
    confusion = Counter((i.label, predicted[i.id]) for i in items if predicted[i.id] != i.label)
    if confusion:
        print("  confusions: " + ", ".join(f"{a}->{b} x{n}" for (a, b), n in confusion.items()))
    print(f"  dates read right: {dated_ok}/{dated}; invoice numbers found: "
          f"{numbered_ok}/{numbered}")
    for line in misses:
        print(line)
    return ok


def main() -> int:
    show = "--show" in sys.argv
    folder = ROOT / "tests" / "data" / "replies"
    tune = score("tune (the rules were written on these)", load(folder / "tune.mails"), show)
    held = score("holdout (never tuned on)", load(folder / "holdout.mails"), show)
    print(f"\ntargets met: tune {'yes' if tune else 'no'}, holdout {'yes' if held else 'no'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
