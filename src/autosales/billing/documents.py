"""The PDF of an invoice or a credit note, in the shop's name, address and colours (fpdf2)."""

from __future__ import annotations

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext

from autosales.billing.aging import BUCKET_LABELS, BUCKETS
from autosales.billing.models import Invoice
from autosales.billing.notices import DOCUMENT_PDF
from autosales.billing.statements import STATEMENT_PDF, month_parse, statement_for
from autosales.core.money import Money
from autosales.customers.models import Organization
from autosales.notifications.attachments import Attachment, attachment_renderer

# The PDF's built-in fonts know Latin-1 only; the few symbols outside it are spelled out.
_SPELLED = {"€": "EUR ", "—": "-", "–": "-", "’": "'", "“": '"', "”": '"', "…": "...", "×": "x", "•": "-"}


def _text(value) -> str:
    text = str(value)
    for symbol, spelled in _SPELLED.items():
        text = text.replace(symbol, spelled)
    return text.encode("latin-1", "replace").decode("latin-1")


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    try:
        return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)
    except (ValueError, IndexError):
        return 31, 78, 121


def _date(value) -> str:
    return formats.date_format(value, "N j, Y") if value else ""


def document_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf"


def document_pdf(*, invoice: Invoice) -> bytes:
    """The invoice or credit note as a one-or-more-page A4 PDF."""
    from fpdf import FPDF

    shop = settings.SHOP
    primary, accent = _rgb(shop["primary_colour"]), _rgb(shop["accent_colour"])
    pdf = FPDF(format="A4")
    pdf.set_title(_text(f"{invoice.get_kind_display()} {invoice.number}"))
    pdf.set_author(_text(shop["name"]))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    # The band with the shop's name and address.
    pdf.set_fill_color(*primary)
    pdf.rect(0, 0, pdf.w, 30, style="F")
    pdf.set_fill_color(*accent)
    pdf.rect(0, 30, pdf.w, 1.5, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(pdf.l_margin, 8)
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(width * 0.6, 9, _text(shop["name"]))
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(width * 0.4, 9, _text(invoice.get_kind_display().upper()), align="R")
    pdf.set_xy(pdf.l_margin, 18)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(width * 0.6, 5, _text(shop["address"]))
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(width * 0.4, 5, _text(invoice.number), align="R")
    pdf.set_text_color(0, 0, 0)

    # Who, where, when.
    pdf.set_y(38)
    top = pdf.get_y()
    column = width / 3
    blocks = [(gettext("Bill to"), invoice.bill_to), (gettext("Ship to"), invoice.ship_to)]
    for index, (title, body) in enumerate(blocks):
        pdf.set_xy(pdf.l_margin + index * column, top)
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(column, 5, _text(title))
        pdf.set_font("Helvetica", "", 9)
        pdf.set_xy(pdf.l_margin + index * column, top + 5)
        pdf.multi_cell(column - 4, 4.5, _text(body or "-"))
    facts = [(gettext("Date"), _date(invoice.issue_date))]
    if invoice.is_credit_note:
        if invoice.credited_invoice_id:
            facts.append((gettext("Credits invoice"), invoice.credited_invoice.number))
    else:
        facts += [(gettext("Terms"), invoice.terms_label), (gettext("Due"), _date(invoice.due_date))]
    if invoice.customer_reference:
        facts.append((gettext("Your reference"), invoice.customer_reference))
    if invoice.order_id:
        facts.append((gettext("Order"), invoice.order.number_display))
    if invoice.shipment_reference:
        facts.append((gettext("Shipment"), invoice.shipment_reference))
    y = top
    for label, value in facts:
        pdf.set_xy(pdf.l_margin + 2 * column, y)
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(column * 0.45, 5, _text(label))
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(column * 0.55, 5, _text(value), align="R")
        y += 5
    pdf.set_y(max(pdf.get_y(), y) + 8)

    # The lines.
    widths = [width * 0.16, width * 0.44, width * 0.1, width * 0.15, width * 0.15]
    pdf.set_fill_color(*primary)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 9)
    for heading, w, align in zip(
        [gettext("SKU"), gettext("Description"), gettext("Qty"), gettext("Unit price"), gettext("Amount")],
        widths,
        ["L", "L", "R", "R", "R"],
        strict=True,
    ):
        pdf.cell(w, 7, _text(heading), fill=True, align=align)
    pdf.ln()
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "", 9)
    currency = invoice.currency
    for line in invoice.lines.all():
        pdf.cell(widths[0], 6, _text(line.sku)[:22])
        pdf.cell(widths[1], 6, _text(line.description)[:60])
        pdf.cell(widths[2], 6, str(line.quantity), align="R")
        pdf.cell(widths[3], 6, _text(Money(line.unit_price, currency)), align="R")
        pdf.cell(widths[4], 6, _text(Money(line.line_total, currency)), align="R")
        pdf.ln()
    pdf.set_draw_color(*primary)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(2)

    # The totals.
    # (label, amount, bold)
    rows = [(gettext("Subtotal"), invoice.subtotal_money, False)]
    if invoice.shipping:
        rows.append((gettext("Shipping"), invoice.shipping_money, False))
    tax = f"{gettext('Tax')} ({invoice.tax_name})" if invoice.tax_name else gettext("Tax")
    rows.append((tax, invoice.tax_money, False))
    rows.append((gettext("Total credited") if invoice.is_credit_note else gettext("Total"), invoice.total_money, True))
    if not invoice.is_credit_note:
        rows.append((gettext("Paid and credited"), Money(invoice.amount_settled, currency), False))
        rows.append((gettext("Balance due"), invoice.balance, True))
    for label, amount, bold in rows:
        pdf.set_font("Helvetica", "B" if bold else "", 10 if bold else 9)
        pdf.cell(width * 0.85, 6, _text(label), align="R")
        pdf.cell(width * 0.15, 6, _text(amount), align="R")
        pdf.ln()
    if invoice.reason:
        pdf.ln(4)
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(width, 5, _text(gettext("Reason: %(reason)s") % {"reason": invoice.reason}))
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 8)
    pdf.set_text_color(90, 90, 90)
    if invoice.status == Invoice.Status.PAID and not invoice.is_credit_note:
        note = gettext("Paid - thank you.")
    elif invoice.is_credit_note:
        note = gettext("This credit is set against the invoice named above, then against your next invoices.")
    else:
        note = gettext("Please pay by %(due)s, quoting %(number)s.") % {
            "due": _date(invoice.due_date),
            "number": invoice.number,
        }
    pdf.multi_cell(width, 4.5, _text(f"{note}  {shop['name']}, {shop['address']}"))
    return bytes(pdf.output())


@attachment_renderer(DOCUMENT_PDF)
def document_attachment(reference: str) -> Attachment:
    """The PDF of the invoice with this public id, for an email (made at delivery)."""
    invoice = Invoice.objects.select_related("order", "credited_invoice").get(public_id=reference)
    return Attachment(
        filename=document_filename(invoice), content=document_pdf(invoice=invoice), mimetype="application/pdf"
    )


def statement_filename(statement) -> str:
    return f"statement-{statement.period}.pdf"


def statement_pdf(*, statement) -> bytes:
    """The month's statement as a PDF: opening balance, activity, closing balance, aging."""
    from fpdf import FPDF

    shop = settings.SHOP
    primary = _rgb(shop["primary_colour"])
    organization = statement.organization
    pdf = FPDF(format="A4")
    pdf.set_title(_text(f"{gettext('Statement')} {statement.period} {organization.name}"))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_fill_color(*primary)
    pdf.rect(0, 0, pdf.w, 26, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(pdf.l_margin, 7)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(width * 0.6, 8, _text(shop["name"]))
    pdf.cell(width * 0.4, 8, _text(gettext("Statement").upper()), align="R")
    pdf.set_xy(pdf.l_margin, 16)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(width * 0.6, 5, _text(shop["address"]))
    pdf.cell(width * 0.4, 5, _text(f"{_date(statement.start)} - {_date(statement.end)}"), align="R")
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(34)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(width, 6, _text(organization.name))
    pdf.ln(10)
    pdf.set_font("Helvetica", "", 9)
    widths = [width * 0.15, width * 0.5, width * 0.175, width * 0.175]
    pdf.set_fill_color(*primary)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 9)
    headings = [gettext("Date"), gettext("Entry"), gettext("Amount"), gettext("Balance")]
    for heading, w, align in zip(headings, widths, ["L", "L", "R", "R"], strict=True):
        pdf.cell(w, 7, _text(heading), fill=True, align=align)
    pdf.ln()
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(widths[0], 6, _text(_date(statement.start)))
    pdf.cell(widths[1] + widths[2], 6, _text(gettext("Opening balance")))
    pdf.cell(widths[3], 6, _text(statement.opening), align="R")
    pdf.ln()
    for line in statement.lines:
        pdf.cell(widths[0], 6, _text(_date(line.date)))
        pdf.cell(widths[1], 6, _text(line.description)[:70])
        pdf.cell(widths[2], 6, _text(line.amount), align="R")
        pdf.cell(widths[3], 6, _text(line.balance), align="R")
        pdf.ln()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(widths[0], 7, _text(_date(statement.end)))
    pdf.cell(widths[1] + widths[2], 7, _text(gettext("Closing balance")))
    pdf.cell(widths[3], 7, _text(statement.closing), align="R")
    pdf.ln(12)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(width, 6, _text(gettext("Aging of open invoices at the end of the period (days past due)")))
    pdf.ln()
    column = width / len(BUCKETS)
    for bucket in BUCKETS:
        pdf.cell(column, 6, _text(gettext(BUCKET_LABELS[bucket])), align="R")  # marked in aging.py
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for bucket in BUCKETS:
        pdf.cell(column, 6, _text(statement.aging[bucket]), align="R")
    pdf.ln(10)
    if statement.unused_credit.amount:
        pdf.cell(width, 6, _text(gettext("Unused credit: %(amount)s") % {"amount": statement.unused_credit}))
        pdf.ln()
    return bytes(pdf.output())


@attachment_renderer(STATEMENT_PDF)
def statement_attachment(reference: str) -> Attachment:
    """The PDF of a month's statement, from "<organization public id>:<YYYY-MM>" (made at delivery)."""
    public_id, _, period = reference.partition(":")
    organization = Organization.objects.get(public_id=public_id)
    year, month = month_parse(period)
    statement = statement_for(organization=organization, year=year, month=month)
    return Attachment(
        filename=statement_filename(statement), content=statement_pdf(statement=statement), mimetype="application/pdf"
    )
