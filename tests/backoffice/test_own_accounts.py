"""A salesperson changes only the customers they own, on every back-office page that changes a customer's data;
a manager changes any; every salesperson may still look (customers.permissions.customer_change_allowed)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission

from autosales.core import clock
from autosales.orders.models import OrderStatus
from autosales.recurring.models import Change, StandingOrder
from tests.factories import make_checkout, make_staff, place_test_order, standing_order_form
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 25, 18, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock():
    clock.set_now(NOW)


@pytest.fixture
def owned():
    """A customer owned by the salesperson `sam`, with a standing order; `sue` is another salesperson."""
    checkout = make_checkout(name="Acme Lighting", stock=5000, has_account_terms=True, credit_limit="100000")
    sam = make_staff(group="salesperson", username="sam")
    sue = make_staff(group="salesperson", username="sue")
    checkout.organization.salesperson = sam
    checkout.organization.save(update_fields=["salesperson"])
    return checkout, make_standing_order(checkout), sam, sue


def _actions(checkout, standing_order) -> list[tuple[str, str, dict]]:
    base = f"/backoffice/standing-orders/{standing_order.public_id}/"
    lines = {"sku": [checkout.variant.sku], "quantity": ["250"]}
    return [
        ("post", f"{base}skip/", {"date": "2027-01-31"}),
        ("post", f"{base}unskip/", {"date": "2027-01-31"}),
        ("post", f"{base}pause/", {"until": ""}),
        ("post", f"{base}resume/", {}),
        ("get", f"{base}cancel/", {}),
        ("post", f"{base}cancel/", {"confirm": "yes", "reason": "not theirs"}),
        ("get", f"{base}edit/lines/", {}),
        ("post", f"{base}edit/lines/", lines),
        ("get", f"{base}edit/delivery/", {}),
        ("post", f"{base}edit/delivery/", {}),
        ("get", f"{base}edit/schedule/", {}),
        ("post", f"{base}edit/schedule/", {}),
        ("get", f"/backoffice/standing-orders/new/{checkout.organization.public_id}/", {}),
        ("post", f"/backoffice/standing-orders/new/{checkout.organization.public_id}/", standing_order_form(checkout)),
    ]


def _state(standing_order) -> tuple:
    standing_order.refresh_from_db()
    return (
        standing_order.status,
        Change.objects.count(),
        StandingOrder.objects.count(),
        [(line.variant_id, line.quantity) for line in standing_order.lines.all()],
    )


def test_another_salesperson_can_change_none_of_a_customers_standing_orders(client, owned):
    # given the customer of the salesperson sam, with a standing order, and sue signed in
    checkout, standing_order, _, sue = owned
    client.force_login(sue)
    before = _state(standing_order)

    # when sue tries every change, then every one is refused and nothing changes
    for method, url, data in _actions(checkout, standing_order):
        assert getattr(client, method)(url, data).status_code == 403, (method, url)
    assert _state(standing_order) == before

    # but sue may still look
    assert client.get(f"/backoffice/standing-orders/{standing_order.public_id}/").status_code == 200
    assert client.get("/backoffice/standing-orders/").status_code == 200


def test_the_detail_page_offers_changes_only_to_who_may_make_them(client, owned):
    _, standing_order, sam, sue = owned
    page = f"/backoffice/standing-orders/{standing_order.public_id}/"
    edit = f"{page}edit/lines/"

    client.force_login(sue)
    html = client.get(page).content.decode()
    assert edit not in html and "/pause/" not in html

    client.force_login(sam)
    html = client.get(page).content.decode()
    assert edit in html and "/pause/" in html


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_the_owner_and_a_manager_change_the_customers_standing_orders(client, owned, who):
    checkout, standing_order, sam, _ = owned
    client.force_login(sam if who == "owner" else make_staff(group="manager"))
    base = f"/backoffice/standing-orders/{standing_order.public_id}/"

    assert client.post(f"{base}skip/", {"date": "2027-01-31"}).status_code == 302
    assert client.post(f"{base}pause/", {"until": ""}).status_code == 302
    assert client.post(f"{base}resume/").status_code == 302
    assert client.post(f"{base}edit/lines/", {"sku": [checkout.variant.sku], "quantity": ["250"]}).status_code == 302
    assert client.get(f"{base}edit/schedule/").status_code == 200
    new_url = f"/backoffice/standing-orders/new/{checkout.organization.public_id}/"
    assert client.post(new_url, standing_order_form(checkout)).status_code == 302
    assert client.post(f"{base}cancel/", {"confirm": "yes", "reason": "closed"}).status_code == 302
    standing_order.refresh_from_db()
    assert standing_order.status == "cancelled" and StandingOrder.objects.count() == 2


def test_choosing_a_customer_for_a_new_standing_order_lists_only_ones_own(client, owned):
    checkout, _, sam, sue = owned
    new_url = f"/backoffice/standing-orders/new/{checkout.organization.public_id}/"
    client.force_login(sue)
    assert new_url not in client.get("/backoffice/standing-orders/new/", {"q": "acme"}).content.decode()
    client.force_login(sam)
    assert new_url in client.get("/backoffice/standing-orders/new/", {"q": "acme"}).content.decode()


def _may_cancel_orders(user):
    # Salespeople only view orders by role; a superuser may give one a one-off right to change them, and the
    # own-accounts rule still holds.
    user.user_permissions.add(Permission.objects.get(codename="change_order", content_type__app_label="orders"))
    return type(user).objects.get(pk=user.pk)


def test_another_salesperson_cannot_cancel_a_customers_order(client, owned):
    checkout, _, _, sue = owned
    order = place_test_order(checkout)
    client.force_login(_may_cancel_orders(sue))
    detail = client.get(f"/backoffice/orders/{order.public_id}/")
    assert detail.status_code == 200 and f"/backoffice/orders/{order.public_id}/cancel/" not in detail.content.decode()

    response = client.post(f"/backoffice/orders/{order.public_id}/cancel/", {"reason": "not theirs"})

    order.refresh_from_db()
    assert response.status_code == 403 and order.status != OrderStatus.CANCELLED


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_the_owner_and_a_manager_cancel_a_customers_order(client, owned, who):
    checkout, _, sam, _ = owned
    order = place_test_order(checkout)
    client.force_login(_may_cancel_orders(sam) if who == "owner" else make_staff(group="manager"))

    response = client.post(f"/backoffice/orders/{order.public_id}/cancel/", {"reason": "asked by phone"})

    order.refresh_from_db()
    assert response.status_code == 302 and order.status == OrderStatus.CANCELLED
