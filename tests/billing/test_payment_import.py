"""`autosales billing import-payments FILE.csv`: matched by invoice number, PO reference or payer; a dry run; row
errors named by line; a second import records nothing twice; the unmatched listed. And the journal export."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from autosales.billing.issuing import invoice_issue_for_order
from autosales.billing.models import PaymentReceived
from autosales.billing.payments_received import payment_record
from autosales.core import clock
from tests.factories import make_account_order, make_organization

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def invoices():
    acme = make_organization(name="Acme Lighting", has_account_terms=True, credit_limit=1000)
    zeta = make_organization(name="Zeta Stores", has_account_terms=True, credit_limit=1000)
    with clock.frozen_at(dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)):
        a1 = invoice_issue_for_order(order=make_account_order(organization=acme))
        a2 = invoice_issue_for_order(order=make_account_order(organization=acme, customer_reference="PO-881"))
        z1 = invoice_issue_for_order(order=make_account_order(organization=zeta))
    return acme, zeta, a1, a2, z1


def _import(tmp_path, text, *args):
    path = tmp_path / "bank.csv"
    path.write_text(text)
    out, err = io.StringIO(), io.StringIO()
    with clock.frozen_at(NOW):
        call_command("billing", "import-payments", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_rows_match_by_invoice_number_po_reference_and_payer(tmp_path, invoices):
    _acme, zeta, a1, a2, z1 = invoices
    text = (
        "date,amount,reference,payer\n"
        f"2027-02-20,15.00,Payment {a1.number.lower()},ACME LTD\n"
        "2027-02-21,15.00,PO-881,Acme\n"
        "2027-02-22,20.00,March,Zeta Stores\n"
        "2027-02-23,9.99,Who knows,Nobody\n"
    )
    out, _err = _import(tmp_path, text)
    assert "3 payments were recorded" in out and "1 unmatched" in out and "Who knows" in out
    for invoice in (a1, a2, z1):
        invoice.refresh_from_db()
        assert invoice.status == "paid"
    zeta.refresh_from_db()
    assert zeta.account_balance == Decimal("-5.00")  # the rest stays credit

    again, _ = _import(tmp_path, text)
    assert "0 payments were recorded, 3 imported before" in again
    assert PaymentReceived.objects.count() == 3


def test_a_dry_run_records_nothing(tmp_path, invoices):
    _acme, _zeta, a1, _a2, _z1 = invoices
    out, _ = _import(tmp_path, f"date,amount,reference,payer\n2027-02-20,15.00,{a1.number},x\n", "--dry-run")
    assert "1 payments would be recorded" in out and "dry run" in out
    assert not PaymentReceived.objects.exists()


def test_row_errors_name_the_line_and_import_nothing_unless_skipped(tmp_path, invoices):
    _acme, _zeta, a1, _a2, _z1 = invoices
    text = f"date,amount,reference,payer\n2027-02-30,15.00,{a1.number},x\n2027-02-20,abc,{a1.number},x\n2027-02-20,5,{a1.number},x\n"
    with pytest.raises(CommandError, match="nothing was imported"):
        _import(tmp_path, text)
    assert not PaymentReceived.objects.exists()
    out, err = _import(tmp_path, text, "--skip-invalid")
    assert "line 2: date:" in err and "line 3: amount:" in err
    assert "1 payments were recorded" in out


def test_a_file_without_the_columns_is_refused(tmp_path, invoices):
    with pytest.raises(CommandError, match="nothing was imported"):
        _import(tmp_path, "when,amount\n2027-01-01,5\n")


def test_the_journal_balances_each_document(invoices):
    acme, _zeta, a1, _a2, _z1 = invoices
    with clock.frozen_at(dt.datetime(2027, 2, 10, 12, tzinfo=dt.UTC)):
        payment_record(
            organization=acme, method="cheque", amount="15.00", received_on=dt.date(2027, 2, 10), reference="CHQ 9"
        )
    out = io.StringIO()
    call_command("billing", "journal", "--from", "2027-02-01", "--to", "2027-02-28", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    documents = {row["document"] for row in rows}
    assert a1.number in documents and len(documents) == 4
    for document in documents:
        lines = [r for r in rows if r["document"] == document]
        assert sum(Decimal(r["debit"]) for r in lines) == sum(Decimal(r["credit"]) for r in lines)
    receivable = [r for r in rows if r["document"] == a1.number and r["account"] == "1200"]
    assert receivable[0]["debit"] == "15.00"
    assert {r["account"] for r in rows if r["journal"] == "receipts"} == {"1000", "1200"}


def test_unmatched_rows_are_listed_once_for_staff_who_assign_them_to_a_customer(tmp_path, invoices, client):
    from autosales.billing.models import UnmatchedPayment
    from autosales.customers.staff_roles import ACCOUNTS
    from tests.factories import make_staff

    acme, _zeta, a1, _a2, _z1 = invoices
    text = "date,amount,reference,payer\n2027-02-23,15.00,Who knows,Mystery Corp\n"
    _import(tmp_path, text)
    _import(tmp_path, text)
    row = UnmatchedPayment.objects.get()
    client.force_login(make_staff(group=ACCOUNTS))
    assert "Mystery Corp" in client.get("/backoffice/billing/unmatched/").content.decode()
    with clock.frozen_at(NOW):
        bad = client.post(f"/backoffice/billing/unmatched/{row.public_id}/assign/", {"customer": "Nobody Inc"})
        assert bad.status_code == 302 and not PaymentReceived.objects.exists()
        client.post(f"/backoffice/billing/unmatched/{row.public_id}/assign/", {"customer": "acme lighting"})
    payment = PaymentReceived.objects.get()
    assert payment.organization == acme and payment.payer == "Mystery Corp"
    a1.refresh_from_db()
    assert a1.status == "paid"
    assert "Mystery Corp" not in client.get("/backoffice/billing/unmatched/").content.decode()
    again, _ = _import(tmp_path, text)
    assert "1 imported before" in again and PaymentReceived.objects.count() == 1
