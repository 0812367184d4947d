"""Monthly statements against hand-computed figures: opening and closing balance, activity, aging at the month's
end; its PDF; emailed once per customer and month, from the 1st, whatever the re-runs."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from autosales.billing.credit_notes import CreditLine, credit_note_issue
from autosales.billing.documents import statement_pdf
from autosales.billing.issuing import invoice_issue_for_order
from autosales.billing.models import AccountEvent, Invoice
from autosales.billing.payments_received import payment_record
from autosales.billing.statements import statement_for, statements_send
from autosales.core import clock
from autosales.notifications.models import OutboxEmail
from tests.factories import make_account_order, make_organization

pytestmark = pytest.mark.django_db


def at(month, day):
    return clock.frozen_at(dt.datetime(2027, month, day, 12, tzinfo=dt.UTC))


@pytest.fixture
def history():
    """Jan 10 invoice A 15.00 (due Feb 9); Feb 5 invoice B 15.00 (due Mar 7); Feb 20 paid 20.00 (A, then 5 of B);
    Feb 25 credit note 3.00 on B; Mar 3 paid 7.00 (B)."""
    organization = make_organization(
        name="Statement Co", has_account_terms=True, credit_limit=1000, billing_email="ap@s.example"
    )
    with at(1, 10):
        a = invoice_issue_for_order(order=make_account_order(organization=organization))
    with at(2, 5):
        b = invoice_issue_for_order(order=make_account_order(organization=organization))
    with at(2, 20):
        payment_record(
            organization=organization, method="bank_transfer", amount="20.00", received_on=dt.date(2027, 2, 20)
        )
    with at(2, 25):
        credit_note_issue(
            invoice=b, lines=[CreditLine(description="Discount", amount=Decimal("3.00"))], reason="Agreed"
        )
    with at(3, 3):
        payment_record(organization=organization, method="cheque", amount="7.00", received_on=dt.date(2027, 3, 3))
    return organization, a, b


def test_january(history):
    organization, a, _b = history
    january = statement_for(organization=organization, year=2027, month=1)
    assert (january.opening.amount, january.closing.amount) == (0, Decimal("15.00"))
    assert [(line.description, line.amount.amount) for line in january.lines] == [
        (f"Invoice {a.number}", Decimal("15.000"))
    ]
    assert january.aging["current"].amount == Decimal("15.00")


def test_february_shows_the_balance_as_it_stood_at_the_months_end(history):
    organization, _a, b = history
    february = statement_for(organization=organization, year=2027, month=2)
    assert february.opening.amount == Decimal("15.00")
    assert [line.balance.amount for line in february.lines] == [Decimal("30.00"), Decimal("10.00"), Decimal("7.00")]
    assert february.closing.amount == Decimal("7.00")
    assert (february.invoiced.amount, february.paid.amount, february.credited.amount) == (15, 20, 3)
    # B (due March 7) was open for 7.00 on February 28, although it is paid now.
    assert february.aging["current"].amount == Decimal("7.00")
    assert [(i.number, left.amount) for i, left, _ in february.open_invoices] == [(b.number, Decimal("7.00"))]
    assert Invoice.objects.get(pk=b.pk).status == "paid"


def test_march_closes_at_zero(history):
    organization, *_ = history
    march = statement_for(organization=organization, year=2027, month=3)
    assert (march.opening.amount, march.closing.amount) == (Decimal("7.00"), 0)
    assert sum(amount.amount for amount in march.aging.values()) == 0


def test_aging_buckets_by_days_past_due_at_the_months_end():
    organization = make_organization(has_account_terms=True, credit_limit=1000)
    for month, day in [(1, 10), (2, 20), (3, 20), (4, 10), (5, 20)]:  # due Feb 9, Mar 22, Apr 19, May 10, Jun 19
        with at(month, day):
            invoice_issue_for_order(order=make_account_order(organization=organization))
    may = statement_for(organization=organization, year=2027, month=5)  # on May 31
    amounts = {name: money.amount for name, money in may.aging.items()}
    assert amounts == {
        "current": Decimal("15.00"),  # due Jun 19
        "days_1_30": Decimal("15.00"),  # due May 10: 21 days
        "days_31_60": Decimal("15.00"),  # due Apr 19: 42 days
        "days_61_90": Decimal("15.00"),  # due Mar 22: 70 days
        "over_90": Decimal("15.00"),  # due Feb 9: 111 days
    }


def test_the_statement_pdf_reads_as_the_statement(history):
    organization, _a, _b = history
    text = (
        PdfReader(io.BytesIO(statement_pdf(statement=statement_for(organization=organization, year=2027, month=2))))
        .pages[0]
        .extract_text()
    )
    assert "STATEMENT" in text and "Statement Co" in text and "Opening balance" in text and "$7.00" in text


def test_statements_go_out_once_per_month_from_the_first(history):
    organization, *_ = history
    with at(3, 31):  # February's is due since March 1st
        assert statements_send(today=dt.date(2027, 3, 31)) == 1
        assert statements_send(today=dt.date(2027, 3, 31)) == 0
    with at(4, 1):
        assert statements_send(today=dt.date(2027, 4, 1)) == 1
        assert statements_send(today=dt.date(2027, 4, 1)) == 0
    with at(4, 15):
        assert statements_send(today=dt.date(2027, 4, 15)) == 0
    emails = OutboxEmail.objects.filter(template="billing/statement").order_by("pk")
    assert [e.context["period"] for e in emails] == ["2027-02", "2027-03"]
    assert emails[0].to == ["ap@s.example"]
    assert AccountEvent.objects.filter(organization=organization, kind="statement").count() == 2


def test_the_statement_email_carries_its_pdf(history, smtp_server):
    with at(3, 2):
        statements_send(today=dt.date(2027, 3, 2))
        delivered = smtp_server.deliver()
    [message] = [m for m in delivered if "statement" in m["Subject"]]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "statement-2027-02.pdf"
    assert "Closing balance" in PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()


def test_staff_see_a_customers_statement_as_a_page_with_the_pdfs_figures(history, client):
    from django.urls import reverse

    from autosales.customers.staff_roles import ACCOUNTS
    from tests.factories import make_staff

    organization, a, b = history
    client.force_login(make_staff(group=ACCOUNTS))
    url = reverse("backoffice:billing_customer_statement", args=[organization.public_id])
    account = client.get(reverse("backoffice:billing_customer", args=[organization.public_id])).content.decode()
    assert f'href="{url}"' in account

    page = client.get(url, {"month": "2027-02"})
    assert page.status_code == 200
    assert page.context["statement"].closing.amount == Decimal("7.00")
    html = page.content.decode()
    for text in ["Statement of Statement Co: February 2027", "Opening balance", "$15.00", "Closing balance", "$7.00"]:
        assert text in html
    assert f"Invoice {b.number}" in html and f"Invoice {a.number}" not in html  # a is January's
    assert 'name="month" value="2027-02"' in html  # the month chooser

    pdf = client.get(url, {"month": "2027-02", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Statement Co" in text and "$15.00" in text and "$7.00" in text

    with clock.frozen_at(dt.datetime(2027, 3, 15, 12, tzinfo=dt.UTC)):  # no month: the last full one
        assert client.get(url).context["statement"].period == "2027-02"
    assert client.get(url, {"month": "2027-13"}).status_code == 404
    assert client.get(url, {"month": "soon"}).status_code == 404


def test_the_statement_page_takes_the_same_queries_for_few_or_many_entries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from autosales.customers.staff_roles import ACCOUNTS
    from tests.factories import make_staff

    organization = make_organization(has_account_terms=True, credit_limit=100_000)
    client.force_login(make_staff(group=ACCOUNTS))
    url = reverse("backoffice:billing_customer_statement", args=[organization.public_id])
    counts = []
    for n in (1, 8):
        with at(2, 5):
            for _ in range(n):
                invoice_issue_for_order(order=make_account_order(organization=organization))
        with at(2, 6):
            payment_record(organization=organization, method="cheque", amount="10.00", received_on=dt.date(2027, 2, 6))
        with CaptureQueriesContext(connection) as seen:
            assert client.get(url, {"month": "2027-02"}).status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1]
