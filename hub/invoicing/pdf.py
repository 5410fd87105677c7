"""An invoice as a one-page-or-more PDF (fpdf2), for the e-mail channel.

Written with the PDF core font Helvetica in the Windows-1252 encoding, so the
file needs no font of the machine and opens anywhere; amounts are written by
Babel for the customer's locale (:mod:`hub.invoicing.wording`). A character the
encoding lacks is shown as ``?`` in names, and an amount whose currency symbol
it lacks (``¥``, ``د.ب.``) is written with the ISO code instead (``JPY 1,250``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from fpdf import FPDF

from hub.invoicing.wording import day, money, money_with_code
from hub.models import Invoice

ENCODING = "windows-1252"
_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2009": " ", "\u200f": "", "\u200e": ""})


def _fits(text: str) -> bool:
    try:
        text.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def shown(text: str) -> str:
    """``text`` as the PDF can write it: odd spaces made plain, the rest ``?``."""
    text = text.translate(_SPACES)
    return text.encode(ENCODING, "replace").decode(ENCODING)


def amount_text(value: Decimal, currency: str, locale: str) -> str:
    """How the PDF writes an amount: :func:`money`, or with the ISO code where the
    currency's symbol cannot be written."""
    text = money(value, currency, locale).translate(_SPACES)
    return text if _fits(text) else shown(money_with_code(value, currency, locale))


def render(invoice: Invoice, *, customer_name: str, customer_email: str | None,
           company: str, locale: str, made: datetime | None = None) -> bytes:
    """The PDF of ``invoice`` as its customer reads it."""
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = ENCODING
    pdf.set_creation_date(made or datetime.now(UTC))
    pdf.set_title(shown(f"Invoice {invoice.number}"))
    pdf.set_author(shown(company or "billing-hub"))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(width, 10, shown(company or "Invoice"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(width, 9, shown(f"Invoice {invoice.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 10)
    facts = [("Invoice date", day(invoice.issue_date, locale)),
             ("Due date", day(invoice.due_date, locale) or "on receipt"),
             ("Bill to", customer_name)]
    if customer_email:
        facts.append(("E-mail", customer_email))
    if invoice.terms:
        facts.append(("Terms", invoice.terms))
    for label, value in facts:
        pdf.cell(35, 6, shown(label + ":"))
        pdf.cell(width - 35, 6, shown(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    cur = invoice.currency
    columns = ((width * 0.52, "Description", "L"), (width * 0.12, "Qty", "R"),
               (width * 0.18, "Unit price", "R"), (width * 0.18, "Amount", "R"))
    pdf.set_font("Helvetica", "B", 10)
    for w, title, align in columns:
        pdf.cell(w, 7, title, border="B", align=align)
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for line in invoice.lines:
        values = (shown(line.description or "(no description)"),
                  "" if line.quantity is None else f"{line.quantity.normalize():f}",
                  "" if line.unit_price is None else amount_text(line.unit_price, cur, locale),
                  amount_text(line.amount, cur, locale))
        for (w, _, align), value in zip(columns, values, strict=True):
            pdf.cell(w, 6, value, align=align)
        pdf.ln()
    pdf.ln(3)

    totals: list[tuple[str, Decimal]] = []
    if invoice.subtotal is not None and invoice.tax:
        totals.append(("Subtotal", invoice.subtotal))
    if invoice.tax:
        totals.append(("Tax", invoice.tax))
    totals.append(("Total", invoice.total or Decimal(0)))
    if invoice.amount_paid or invoice.credited:
        if invoice.amount_paid:
            totals.append(("Paid", invoice.amount_paid))
        if invoice.credited:
            totals.append(("Credited", invoice.credited))
        totals.append(("Balance due", invoice.balance or Decimal(0)))
    label_w = columns[0][0] + columns[1][0] + columns[2][0]
    for title, figure in totals:
        pdf.set_font("Helvetica", "B" if title in ("Total", "Balance due") else "", 10)
        pdf.cell(label_w, 6, title, align="R")
        pdf.cell(columns[3][0], 6, amount_text(figure, cur, locale), align="R",
                 new_x="LMARGIN", new_y="NEXT")
    if invoice.memo:
        pdf.ln(4)
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(width, 5, shown(invoice.memo))
    return bytes(pdf.output())
