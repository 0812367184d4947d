"""Back-office standing orders: every organization's, filtered and searched in a fixed number of queries; the
detail and its actions done on the customer's behalf, recorded with the staff user; staff only, by role."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.core import clock
from autosales.recurring.models import Change, Run
from autosales.recurring.scheduler import scheduler_tick
from tests.factories import make_checkout, make_member, make_staff, standing_order_form
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 25, 18, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock():
    clock.set_now(NOW)


def _own(salesperson, organization):
    """The salesperson looks after the customer (a salesperson changes only their own customers)."""
    organization.salesperson = salesperson
    organization.save(update_fields=["salesperson"])


def test_staff_see_every_organizations_standing_orders_and_filter_by_status_and_organization(client):
    acme = make_standing_order(make_checkout(name="Acme Lighting", stock=5000), name="Acme bulbs")
    bolt = make_standing_order(make_checkout(name="Bolt Electric", stock=5000), name="Bolt bulbs")
    salesperson = make_staff(group="salesperson")
    _own(salesperson, bolt.organization)
    client.force_login(salesperson)
    client.post(f"/backoffice/standing-orders/{bolt.public_id}/pause/", {"until": ""})

    def shown(query: str) -> set[str]:
        html = client.get(f"/backoffice/standing-orders/?{query}").content.decode()
        return {so.name for so in (acme, bolt) if so.public_id in html}

    assert shown("") == {"Acme bulbs", "Bolt bulbs"}
    assert shown("status=paused") == {"Bolt bulbs"}
    assert shown("q=acme") == {"Acme bulbs"}
    assert shown("status=nonsense") == {"Acme bulbs", "Bolt bulbs"}
    html = client.get("/backoffice/standing-orders/").content.decode()
    assert "Every 2 months on the 31st" in html and "2027-01-31" in html


def _list_queries(client, count: int) -> int:
    for _ in range(count):
        make_standing_order(make_checkout(stock=100), quantity=2)
    client.force_login(make_staff(group="manager"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/backoffice/standing-orders/")
    assert response.status_code == 200
    client.logout()
    return len(queries)


def test_the_list_query_count_does_not_grow_with_the_standing_orders(client):
    assert _list_queries(client, 3) == _list_queries(client, 15)


def test_a_salesperson_skips_pauses_and_changes_on_the_customers_behalf_recorded_as_the_staff_user(client):
    checkout = make_checkout(stock=5000)
    standing_order = make_standing_order(checkout)
    staff = make_staff(group="salesperson", first_name="Sam", last_name="Seller")
    _own(staff, checkout.organization)
    client.force_login(staff)
    base = f"/backoffice/standing-orders/{standing_order.public_id}/"

    page = client.get(base).content.decode()
    assert checkout.organization.name in page and page.count('data-date="') == 6

    assert client.post(f"{base}skip/", {"date": "2027-03-31"})["Location"] == base
    assert client.post(f"{base}pause/", {"until": "2027-06-01"}).status_code == 302
    assert client.post(f"{base}resume/").status_code == 302
    lines = {"sku": [checkout.variant.sku], "quantity": ["250"]}
    assert client.post(f"{base}edit/lines/", lines).status_code == 302

    changes = list(Change.objects.filter(standing_order=standing_order).exclude(kind="created"))
    assert [c.kind for c in changes] == ["skipped", "paused", "active", "lines_changed"]
    assert {c.actor for c in changes} == {staff}
    assert Run.objects.get(scheduled_for=dt.date(2027, 3, 31)).status == "skipped"
    html = client.get(base).content.decode()
    assert "Sam Seller (staff): Skipped 2027-03-31" in html


def test_staff_see_the_runs_orders_linked_to_the_back_office_order_page(client):
    checkout = make_checkout(stock=5000)
    standing_order = make_standing_order(checkout)
    moment = dt.datetime(2027, 1, 31, 13, tzinfo=dt.UTC)
    clock.set_now(moment)
    scheduler_tick(now=moment)
    client.force_login(make_staff(group="manager"))

    html = client.get(f"/backoffice/standing-orders/{standing_order.public_id}/").content.decode()

    run = Run.objects.get()
    assert f'href="/backoffice/orders/{run.order.public_id}/"' in html


def test_staff_cancel_with_confirmation(client):
    standing_order = make_standing_order(make_checkout(stock=5000))
    staff = make_staff(group="manager")
    client.force_login(staff)

    response = client.post(
        f"/backoffice/standing-orders/{standing_order.public_id}/cancel/", {"confirm": "yes", "reason": "closed"}
    )

    standing_order.refresh_from_db()
    assert response.status_code == 302 and standing_order.status == "cancelled"
    assert Change.objects.get(standing_order=standing_order, kind="cancelled").actor == staff


def test_a_staff_error_is_shown_and_changes_nothing(client):
    standing_order = make_standing_order(make_checkout(stock=5000))
    salesperson = make_staff(group="salesperson")
    _own(salesperson, standing_order.organization)
    client.force_login(salesperson)

    response = client.post(f"/backoffice/standing-orders/{standing_order.public_id}/skip/", {"date": "2027-02-28"})

    assert response.status_code == 400 and "There is no upcoming order on that date." in response.content.decode()
    assert not Run.objects.exists()


def test_fulfillment_may_look_but_not_change(client):
    standing_order = make_standing_order(make_checkout(stock=5000))
    client.force_login(make_staff(group="fulfillment"))
    base = f"/backoffice/standing-orders/{standing_order.public_id}/"

    assert client.get("/backoffice/standing-orders/").status_code == 200
    assert client.get(base).status_code == 200
    assert client.post(f"{base}skip/", {"date": "2027-01-31"}).status_code == 403
    assert client.get(f"{base}edit/lines/").status_code == 403
    assert not Run.objects.exists()


@pytest.mark.parametrize("path", ["", "{id}/", "{id}/edit/schedule/"])
def test_customers_and_staff_without_a_role_are_kept_out(client, path):
    checkout = make_checkout(stock=5000)
    standing_order = make_standing_order(checkout)
    url = f"/backoffice/standing-orders/{path.format(id=standing_order.public_id)}"

    assert client.get(url).status_code == 302  # signed out: sign in first
    client.force_login(make_member(organization=checkout.organization))
    assert client.get(url).status_code in (302, 403)
    client.force_login(make_staff())
    assert client.get(url).status_code == 403


def test_an_unknown_standing_order_is_a_404(client):
    client.force_login(make_staff(group="manager"))
    assert client.get("/backoffice/standing-orders/nosuchid/").status_code == 404
    assert client.post("/backoffice/standing-orders/nosuchid/pause/").status_code == 404


def test_a_salesperson_sets_up_a_standing_order_for_a_customer(client):
    from autosales.recurring.models import StandingOrder

    checkout = make_checkout(name="Acme Lighting", stock=5000, has_account_terms=True, credit_limit="100000")
    salesperson = make_staff(group="salesperson")
    _own(salesperson, checkout.organization)
    client.force_login(salesperson)

    found = client.get("/backoffice/standing-orders/new/", {"q": "acme"}).content.decode()
    new_url = f"/backoffice/standing-orders/new/{checkout.organization.public_id}/"
    assert new_url in found
    page = client.get(new_url)
    assert page.status_code == 200 and "New standing order for Acme Lighting" in page.content.decode()
    assert "If a date falls on a weekend or holiday, move it to the next working day" in page.content.decode()
    response = client.post(new_url, standing_order_form(checkout, quantity=["500"], move_to_working_day="on"))

    standing_order = StandingOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/standing-orders/{standing_order.public_id}/"
    assert standing_order.organization == checkout.organization
    assert standing_order.created_by == salesperson  # recorded as the staff user
    assert Change.objects.get(standing_order=standing_order, kind="created").actor == salesperson
    assert [line.quantity for line in standing_order.lines.all()] == [500]
    assert standing_order.move_to_working_day
    detail = client.get(response["Location"]).content.decode()
    assert "Mon Feb 1 (moved from Sun Jan 31)" in detail


def test_setting_up_for_a_customer_with_bad_input_or_no_right_changes_nothing(client):
    from autosales.recurring.models import StandingOrder

    checkout = make_checkout(stock=5000, has_account_terms=True, credit_limit="100000")
    new_url = f"/backoffice/standing-orders/new/{checkout.organization.public_id}/"
    client.force_login(make_staff(group="manager"))

    bad = client.post(new_url, standing_order_form(checkout, start_date="2020-01-01"))
    assert bad.status_code == 400 and "Nothing was saved" in bad.content.decode()
    assert client.get("/backoffice/standing-orders/new/nosuchcustomer/").status_code == 404
    client.force_login(make_staff(group="fulfillment"))
    assert client.get(new_url).status_code == 403
    assert client.post(new_url, standing_order_form(checkout)).status_code == 403
    assert not StandingOrder.objects.exists()
