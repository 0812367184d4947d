"""An order is promised delivery dates as it is placed, from the centers its units come from; a business customer
may ask for a later date, never an earlier one."""

import datetime as dt
import json
import uuid

import pytest
from django.test import Client

from autosales.checkout.errors import CheckoutError
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.customers.tokens import token_create
from autosales.inventory.models import ClosedDay, StockLevel, Warehouse
from autosales.orders.models import Order
from tests.factories import make_checkout, make_warehouse, place_test_order

pytestmark = pytest.mark.django_db

# Tuesday March 2 2027, 10:00 in Chicago: before the 14:00 cut-off.
TUESDAY_MORNING = dt.datetime(2027, 3, 2, 16, 0, tzinfo=dt.UTC)


def _business(**fields):
    checkout = make_checkout(has_account_terms=True, credit_limit="100000.00", **fields)
    Warehouse.objects.update(
        time_zone="America/Chicago", working_days="12345", cutoff_time=dt.time(14, 0), holiday_country="US"
    )
    checkout.shipping_method.transit_days_min = 1
    checkout.shipping_method.transit_days_max = 3
    checkout.shipping_method.save()
    return checkout


def test_an_order_placed_before_the_cut_off_is_promised_today_and_a_window():
    checkout = _business()
    with clock.frozen_at(TUESDAY_MORNING):
        order = place_test_order(checkout, kind="account")
    order.refresh_from_db()
    assert order.ships_on == dt.date(2027, 3, 2)
    assert (order.arrives_from, order.arrives_to) == (dt.date(2027, 3, 3), dt.date(2027, 3, 5))
    assert order.requested_delivery_date is None


def test_units_from_a_second_center_promise_when_that_center_ships():
    # given the only stock is in a center closed on Tuesday
    checkout = _business()
    first = Warehouse.objects.get()
    StockLevel.objects.filter(warehouse=first).update(on_hand=0)
    other = make_warehouse(code="ATL", priority=5, time_zone="America/New_York", working_days="12345")
    StockLevel.objects.create(warehouse=other, variant=checkout.variant, on_hand=5)
    ClosedDay.objects.create(warehouse=other, day=dt.date(2027, 3, 2), reason="Inventory count")
    with clock.frozen_at(TUESDAY_MORNING):
        order = place_test_order(checkout, kind="account")
    order.refresh_from_db()
    assert order.ships_on == dt.date(2027, 3, 3)
    assert order.arrives_to == dt.date(2027, 3, 8)


def test_a_business_customer_gets_a_later_requested_date_and_the_shipment_is_held_for_it():
    checkout = _business()
    with clock.frozen_at(TUESDAY_MORNING):
        order = place_test_order(checkout, kind="account", requested_delivery_date=dt.date(2027, 3, 19))
    order.refresh_from_db()
    assert order.requested_delivery_date == dt.date(2027, 3, 19)
    # ships on the last day that still arrives by Friday the 19th with up to 3 transit days
    assert order.ships_on == dt.date(2027, 3, 16)
    assert order.arrives_to <= dt.date(2027, 3, 19)


def test_a_requested_date_earlier_than_possible_is_refused_naming_the_field_and_nothing_is_held():
    checkout = _business()
    with clock.frozen_at(TUESDAY_MORNING), pytest.raises(DomainError) as refused:
        place_test_order(checkout, kind="account", requested_delivery_date=dt.date(2027, 3, 4))
    assert refused.value.code == CheckoutError.DELIVERY_DATE_TOO_EARLY
    assert refused.value.field == "requested_delivery_date"
    assert "Fri, Mar 5" in refused.value.message
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0


def test_a_customer_without_account_terms_cannot_choose_a_date():
    checkout = make_checkout()
    with clock.frozen_at(TUESDAY_MORNING), pytest.raises(DomainError) as refused:
        place_test_order(checkout, requested_delivery_date=dt.date(2027, 4, 1))
    assert refused.value.code == CheckoutError.DELIVERY_DATE_NOT_ALLOWED
    assert refused.value.field == "requested_delivery_date"


def _api_checkout(client, checkout, **extra):
    body = {
        "lines": [{"sku": checkout.variant.sku, "quantity": 1}],
        "shipping_address": {"id": checkout.address.public_id},
        "shipping_method": checkout.shipping_method.code,
        "payment": {"kind": "account"},
        **extra,
    }
    return client.post(
        "/api/v1/checkout", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )


def test_the_api_takes_a_requested_date_and_answers_with_the_promise():
    checkout = _business()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=checkout.user)}")
    with clock.frozen_at(TUESDAY_MORNING):
        refused = _api_checkout(client, checkout, requested_delivery_date="2027-03-03")
        placed = _api_checkout(client, checkout, requested_delivery_date="2027-03-19")
        bad = _api_checkout(client, checkout, requested_delivery_date="next week")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "requested_delivery_date"
    assert bad.status_code in (400, 422) and "requested_delivery_date" in bad.content.decode()
    assert placed.status_code == 201, placed.content
    body = placed.json()
    assert body["requested_delivery_date"] == "2027-03-19"
    assert body["ships_on"] == "2027-03-16"
    assert body["arrives_from"] <= body["arrives_to"] <= "2027-03-19"
    # and reading the order back gives the same dates
    again = client.get(f"/api/v1/orders/{body['public_id']}").json()
    assert again["ships_on"] == "2027-03-16" and again["requested_delivery_date"] == "2027-03-19"
