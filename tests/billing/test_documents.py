"""The invoice PDF: made with the shop's name and address, readable (its text extracted), attached at delivery to
the email that goes to the billing contacts over a real SMTP server."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from autosales.billing.credit_notes import CreditLine, credit_note_issue
from autosales.billing.documents import document_pdf
from autosales.billing.issuing import ShippedLine, WhatShipped, invoice_issue_for_shipment
from autosales.core import clock
from autosales.notifications.attachments import attachment_reference
from autosales.notifications.models import OutboxEmail
from tests.factories import make_checkout, make_member, place_test_order

pytestmark = pytest.mark.django_db

MAY = dt.datetime(2027, 5, 3, 9, tzinfo=dt.UTC)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _invoice(**org):
    checkout = make_checkout(price="12.50", stock=50, has_account_terms=True, credit_limit=100_000, **org)
    order = place_test_order(checkout, quantity=4, kind="account", customer_reference="PO-4411")
    line = order.lines.get()
    shipped = WhatShipped(
        order_id=order.pk,
        lines=(ShippedLine(order_line_id=line.pk, quantity=4),),
        shipped_at=clock.now(),
        reference="SH-TEST-1",
        shipment_id="sh-1",
    )
    return checkout, invoice_issue_for_shipment(shipped=shipped)


def test_the_invoice_pdf_reads_as_the_invoice(settings):
    settings.SHOP = {**settings.SHOP, "name": "Lamp & Co", "address": "1 Volt Street, Ohm City"}
    with clock.frozen_at(MAY):
        checkout, invoice = _invoice(name="Acme Buyers")
    text = _text(document_pdf(invoice=invoice))
    for expected in [
        "Lamp & Co",
        "1 Volt Street, Ohm City",
        "INVOICE",
        invoice.number,
        "Acme Buyers",
        "PO-4411",
        "SH-TEST-1",
        checkout.variant.sku,
        "$50.00",
        str(invoice.total_money),
        "Net 30",
        "June 2, 2027",
    ]:
        assert expected in text, expected


def test_a_credit_note_pdf_names_the_invoice_it_credits():
    with clock.frozen_at(MAY):
        _checkout, invoice = _invoice()
        note = credit_note_issue(
            invoice=invoice, lines=[CreditLine(description="Damaged in transit", amount=Decimal("5"))], reason="Damage"
        )
    text = _text(document_pdf(invoice=note))
    assert "CREDIT NOTE" in text and note.number in text and invoice.number in text
    assert "Damaged in transit" in text and "Reason: Damage" in text


def test_the_invoice_email_carries_its_pdf_to_the_billing_contacts(smtp_server):
    with clock.frozen_at(MAY):
        checkout, invoice = _invoice(billing_email="ap@acme.example, controller@acme.example")
        make_member(organization=checkout.organization, role="admin", email="boss@acme.example")
    email = OutboxEmail.objects.get(template="billing/document")
    # The outbox keeps the reference, not the file.
    assert email.attachments == [attachment_reference(kind="billing.document_pdf", reference=invoice.public_id)]

    with clock.frozen_at(MAY):
        delivered = smtp_server.deliver()

    [message] = [m for m in delivered if invoice.number in m["Subject"]]
    assert message["To"] == "ap@acme.example, controller@acme.example"
    assert invoice.number in message["Subject"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{invoice.number}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert invoice.number in _text(attachment.get_content())


def test_without_billing_contacts_the_account_admins_get_the_invoice():
    with clock.frozen_at(MAY):
        checkout = make_checkout(has_account_terms=True, credit_limit=1000)
        make_member(organization=checkout.organization, role="admin", email="admin@buyer.example")
        order = place_test_order(checkout, quantity=1, kind="account")
        from autosales.billing.issuing import invoice_issue_for_order

        invoice_issue_for_order(order=order)
    assert OutboxEmail.objects.get(template="billing/document").to == ["admin@buyer.example"]


def test_an_attachment_that_cannot_be_made_fails_its_email_not_the_delivery(smtp_server):
    from autosales.notifications.services import email_queue

    email = email_queue(
        to="x@example.com",
        template="notifications/test",
        context={"queued_at": "now", "transport": "smtp"},
        attachments=[attachment_reference(kind="billing.document_pdf", reference="no-such-invoice")],
    )
    assert smtp_server.deliver() == []
    email.refresh_from_db()
    assert "no-such-invoice" in email.last_error or "does not exist" in email.last_error
    assert email.status in (OutboxEmail.Status.FAILED, OutboxEmail.Status.PENDING) and email.last_error
