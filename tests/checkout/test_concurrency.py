"""Two requests with one idempotency key at the same moment (a double-clicked confirm): one order, one charge."""

import threading

import pytest
from django.db import connection

from autosales.inventory.models import StockLevel
from autosales.orders.models import Order
from autosales.payments.models import Payment, TestGatewayCharge
from tests.factories import make_checkout, place_test_order

pytestmark = pytest.mark.django_db(transaction=True)


def run_at_once(count: int, work) -> list:
    """Runs `work(i)` in `count` threads released together; each thread has its own database connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("token", ["tok_approve", "tok_network_error"])
def test_simultaneous_requests_with_one_key_make_one_order_and_one_charge(token):
    checkout = make_checkout(stock=10)

    def submit(_):
        try:
            return place_test_order(checkout, quantity=2, token=token, key="double-click").pk
        except Exception as exc:
            return exc

    results = run_at_once(4, submit)

    order_ids = {r for r in results if isinstance(r, int)}
    assert len(order_ids) <= 1
    assert Order.objects.count() == 1
    assert TestGatewayCharge.objects.count() == 1 and Payment.objects.count() == 1
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 2
    if token == "tok_approve":
        # every twin got the same order back
        assert all(isinstance(r, int) for r in results), results
        assert Order.objects.get().status == "paid"
