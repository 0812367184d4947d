"""The ledger over random sequences of invoices, credit notes, payments and allocations: the balance is always the
sum of the entries, the organization keeps that sum, and it equals what open invoices owe less unused credit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autosales.billing.credit_notes import CreditLine, credit_note_issue
from autosales.billing.issuing import invoice_issue_for_order
from autosales.billing.ledger import ledger_balance
from autosales.billing.models import Invoice, PaymentReceived
from autosales.billing.payments_received import payment_record
from autosales.core import clock
from autosales.core.errors import DomainError
from tests.factories import make_account_order, make_organization

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2027, 8, 2, 12, tzinfo=dt.UTC)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), st.integers(min_value=1, max_value=5)),
        st.tuples(st.just("pay"), st.decimals(min_value="0.01", max_value="90", places=2)),
        st.tuples(st.just("credit"), st.decimals(min_value="0.01", max_value="30", places=2)),
    ),
    min_size=1,
    max_size=6,
)


class _Rollback(Exception):
    pass


def _sum(queryset, expression) -> Decimal:
    # SQLite sums decimals as floats: back to cents.
    return Decimal(queryset.aggregate(t=Sum(expression))["t"] or 0).quantize(Decimal("0.01"))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_the_balance_is_the_sum_of_the_entries_whatever_happens(steps):
    try:
        with transaction.atomic(), clock.frozen_at(MOMENT):
            organization = make_organization(has_account_terms=True, credit_limit=100_000)
            for kind, value in steps:
                try:
                    if kind == "invoice":
                        order = make_account_order(
                            organization=organization, quantity=value, unit_price="7.35", tax="0.61"
                        )
                        invoice_issue_for_order(order=order)
                    elif kind == "pay":
                        payment_record(
                            organization=organization, method="cheque", amount=value, received_on=MOMENT.date()
                        )
                    else:
                        latest = Invoice.objects.filter(organization=organization, kind="invoice").first()
                        if latest is not None:
                            credit_note_issue(
                                invoice=latest, lines=[CreditLine(description="Adjustment", amount=value)], reason="r"
                            )
                except DomainError:
                    pass  # a credit beyond its invoice is refused, and changes nothing
                organization.refresh_from_db()
                balance = ledger_balance(organization=organization).amount
                assert organization.account_balance == balance
                owed = _sum(
                    Invoice.objects.filter(organization=organization, kind="invoice"), F("total") - F("amount_settled")
                )
                credit = _sum(
                    Invoice.objects.filter(organization=organization, kind="credit_note"),
                    F("total") - F("amount_settled"),
                ) + _sum(PaymentReceived.objects.filter(organization=organization), F("amount") - F("amount_allocated"))
                assert balance == owed - credit
                # Credit and open invoices never stand side by side: credit is used as soon as it can be.
                assert owed == 0 or credit == 0
            raise _Rollback
    except _Rollback:
        pass
