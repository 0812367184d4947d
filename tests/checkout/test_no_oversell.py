"""40 buyers at once for the last 10 units: exactly 10 orders, stock never negative (PostgreSQL, separate connections)."""

import pytest
from django.db import connection
from django.db.models import F

from autosales.core.errors import DomainError
from autosales.customers.models import Membership, User
from autosales.inventory.models import StockLevel
from autosales.orders.models import Order, OrderStatus
from tests.checkout.test_concurrency import run_at_once
from tests.factories import make_checkout, place_test_order

pytestmark = pytest.mark.django_db(transaction=True)

BUYERS = 40
UNITS = 10
ROUNDS = 6


@pytest.fixture
def no_commit_flush(on_postgres):
    """Commits without waiting for the disk (the test database is thrown away): the 240 checkouts take seconds."""
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        cursor.execute("SET synchronous_commit = off")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{name}" RESET synchronous_commit')


def test_forty_concurrent_buyers_for_the_last_ten_units_get_exactly_ten_orders(no_commit_flush):
    checkout = make_checkout(stock=UNITS * ROUNDS)
    organization = checkout.organization
    users = User.objects.bulk_create(
        [User(username=f"buyer-{i}", email=f"buyer-{i}@example.com") for i in range(BUYERS)]
    )
    Membership.objects.bulk_create([Membership(user=user, organization=organization) for user in users])
    buyers = list(User.objects.filter(username__startswith="buyer-").order_by("username"))
    level = StockLevel.objects.get(variant=checkout.variant)

    for round_number in range(ROUNDS):
        # given exactly 10 units left
        StockLevel.objects.filter(pk=level.pk).update(on_hand=F("allocated") + UNITS)
        placed_before = Order.objects.filter(status=OrderStatus.PAID).count()

        def buy(i, round_number=round_number):
            try:
                order = place_test_order(checkout, user=buyers[i], quantity=1, key=f"r{round_number}-b{i}")
                return order.pk
            except DomainError as exc:
                return exc.code

        results = run_at_once(BUYERS, buy)

        # then exactly 10 won, the others were told there is no stock, nothing went negative
        won = [r for r in results if isinstance(r, int)]
        assert len(won) == UNITS, results
        assert set(r for r in results if not isinstance(r, int)) == {"insufficient_stock"}
        level.refresh_from_db()
        assert level.on_hand - level.allocated == 0
        assert Order.objects.filter(status=OrderStatus.PAID).count() == placed_before + UNITS
