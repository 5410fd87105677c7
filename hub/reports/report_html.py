"""The mismatch report as one self-contained HTML file a coordinator can open or mail.

No scripts, no external stylesheets or fonts; every value from a source system
is escaped.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from hub.money import currency_exponent
from hub.reports.ages import age
from hub.reports.metrics import BUCKETS
from hub.reports.report import Report, stake

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1d2330}
h1{font-size:1.4rem;margin:0 0 .2rem} h2{font-size:1.1rem;margin:2rem 0 .4rem}
.meta{color:#5b6475;margin-bottom:1.5rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}
th,td{border-bottom:1px solid #e3e6ec;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f6f9;font-weight:600} td.num,th.num{text-align:right;white-space:nowrap}
.high{color:#a4161a;font-weight:600} .medium{color:#b35c00} .low{color:#3d5a80}
.stake{font-weight:600} .empty{color:#2b7a3d}
"""


def _amount(value: Decimal, currency: str) -> str:
    return f"{value:,.{currency_exponent(currency)}f} {currency}"


def _stakes(totals: dict[str, Decimal]) -> str:
    return " + ".join(_amount(v, c) for c, v in totals.items()) or "-"


def render(report: Report, title: str = "billing-hub: what needs a person") -> str:
    m = report.metrics
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<div class='meta'>{report.count} open finding(s); generated "
        f"{report.generated_at:%Y-%m-%d %H:%M} UTC; metrics for {m.start} to {m.end}</div>",
    ]
    if not report.groups:
        parts.append("<p class='empty'>Nothing needs attention: the systems agree.</p>")
    for group in report.groups:
        parts.append(f"<h2>{escape(group.kind.replace('_', ' '))} ({len(group.findings)}), "
                     f"at stake {escape(_stakes(group.at_stake))}</h2>")
        parts.append("<table><tr><th class='num'>#</th><th>severity</th><th>status</th>"
                     "<th>customer</th><th class='num'>at stake</th><th>age</th>"
                     "<th>what</th></tr>")
        for f in group.findings:
            amount = stake(f)
            shown = _amount(amount, f.currency) if amount is not None and f.currency else "-"
            parts.append(
                f"<tr><td class='num'>{f.id}</td>"
                f"<td class='{escape(f.severity)}'>{escape(f.severity)}</td>"
                f"<td>{escape(f.status)}</td><td>{escape(f.customer or '')}</td>"
                f"<td class='num stake'>{escape(shown)}</td>"
                f"<td>{escape(age(f, m.end).text)}</td><td>{escape(f.explanation)}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>Receivables</h2>")
    rate = m.discrepancy_rate
    parts.append(f"<p>Discrepancy rate: {rate if rate is not None else '-'} open findings per "
                 f"100 invoices and payments ({m.open_findings} of {m.records}).</p>")
    parts.append("<p>Invoices under a payment plan are aged by "
                 + ("the plan's instalment dates" if m.aging_by == "plan" else
                    "their own due date") + f" (aging_by = {escape(m.aging_by)}).</p>")
    for p in report.plans:
        parts.append(f"<p>Payment plan {p.id} ({escape(p.plan.customer_ref or '-')}, "
                     f"{escape(', '.join(p.plan.invoice_numbers))}): {escape(p.text())}</p>")
    if m.by_currency:
        parts.append("<table><tr><th>currency</th><th class='num'>DSO (days)</th>"
                     "<th class='num'>CEI %</th><th class='num'>overdue %</th>"
                     "<th class='num'>days to pay</th>"
                     + "".join(f"<th class='num'>{b}</th>" for b in BUCKETS) + "</tr>")
        for cur, c in m.by_currency.items():
            cells = [c.dso, c.cei, c.overdue_share, c.average_days_to_pay]
            parts.append(
                f"<tr><td>{escape(cur)}</td>"
                + "".join(f"<td class='num'>{'-' if v is None else v}</td>" for v in cells)
                + "".join(f"<td class='num'>{_amount(c.aging[b], cur)}</td>" for b in BUCKETS)
                + "</tr>")
        parts.append("</table>")
        for cur, c in m.by_currency.items():
            parts.append(f"<h2>Aging by customer, {escape(cur)}</h2><table><tr>"
                         "<th>customer</th>"
                         + "".join(f"<th class='num'>{b}</th>" for b in BUCKETS) + "</tr>")
            for who, per in sorted(c.aging_by_customer.items(),
                                   key=lambda kv: -sum(kv[1].values())):
                parts.append(f"<tr><td>{escape(who)}</td>" + "".join(
                    f"<td class='num'>{_amount(per[b], cur)}</td>" for b in BUCKETS) + "</tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
