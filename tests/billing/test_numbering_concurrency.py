"""Gapless numbers with many issuers at once: PostgreSQL's row locks are what this proves (SQLite serializes writers)."""

import datetime as dt
import threading

import pytest
from django.db import connection

from autosales.billing.issuing import ShippedLine, WhatShipped, invoice_issue_for_shipment
from autosales.billing.models import Invoice
from autosales.core import clock
from tests.factories import make_checkout, place_test_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

MOMENT = dt.datetime(2027, 5, 4, 10, tzinfo=dt.UTC)
ISSUERS = 12


def test_many_issuers_at_once_get_numbers_without_gap_or_duplicate(on_postgres):
    clock.set_now(MOMENT)  # every thread reads this clock
    checkouts = [make_checkout(has_account_terms=True, credit_limit=100000, stock=50) for _ in range(ISSUERS // 2)]
    orders = [place_test_order(c, quantity=4, kind="account") for c in checkouts for _ in range(2)]
    barrier = threading.Barrier(ISSUERS + 2)
    issued, failures = [], []

    def issue(order, shipment_id):
        barrier.wait()
        try:
            line = order.lines.get()
            shipped = WhatShipped(
                order_id=order.pk,
                lines=(ShippedLine(order_line_id=line.pk, quantity=2),),
                shipped_at=MOMENT,
                reference=shipment_id,
                shipment_id=shipment_id,
            )
            issued.append(invoice_issue_for_shipment(shipped=shipped).number)
        except Exception as exc:  # a failure is what the test reports
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(order, f"S-{order.pk}")) for order in orders]
    # The same shipment twice at once: invoiced once, both callers get that invoice.
    threads.append(threading.Thread(target=issue, args=(orders[0], f"S-{orders[0].pk}")))
    # A second shipment of the same order at once: its own invoice.
    threads.append(threading.Thread(target=issue, args=(orders[0], f"T-{orders[0].pk}")))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    numbers = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    assert len(set(Invoice.objects.values_list("number", flat=True))) == len(numbers)
    assert not failures
    assert len(numbers) == ISSUERS + 1
    assert len(issued) == ISSUERS + 2 and len(set(issued)) == ISSUERS + 1
