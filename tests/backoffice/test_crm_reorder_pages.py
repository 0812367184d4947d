"""The reorder pages: a customer's predicted reorders on its CRM profile, the list of customers due, overdue or
lapsing (by expected value, one's own accounts, with a CSV) — each in a fixed number of queries — and the reorder
task's link to a standing order filled in with the predicted item and rhythm."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from autosales.core import clock
from autosales.crm.automation import automation_run
from autosales.crm.models import Task
from autosales.crm.prediction.store import predictions_refresh
from tests.factories import make_account_order, make_organization, make_product, make_salesperson

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 1, 4, 15, 0, tzinfo=dt.UTC)


def _day(n: int) -> dt.datetime:
    return START + dt.timedelta(days=n)


def _orders(organization, variant, days, *, quantity=40, unit_price="10.00"):
    for n in days:
        clock.set_now(_day(n))
        make_account_order(
            organization=organization, variant=variant, quantity=quantity, unit_price=unit_price, status="delivered"
        )


@pytest.fixture
def sales(client):
    user = make_salesperson(first_name="Sally", last_name="Sales")
    client.force_login(user)
    return user


def _count(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_profile_shows_predicted_reorders_in_fixed_queries(client, sales):
    organization = make_organization(name="Northwind", salesperson=sales)
    tubes = make_product(name="T8 tubes").variants.get()
    _orders(organization, tubes, [0, 42, 84, 126])
    predictions_refresh(now=_day(130))
    clock.set_now(_day(130))
    url = reverse("backoffice:crm_profile", args=[organization.public_id])

    few, page = _count(client, url)
    assert "Predicted reorders" in page and "T8 tubes" in page and "6 weeks" in page and "Jun 21" in page
    assert "Any order" in page
    for i in range(8):
        _orders(organization, make_product(name=f"Product {i}").variants.get(), [1, 43, 85, 127])
    predictions_refresh(now=_day(131))
    clock.set_now(_day(131))

    many, page = _count(client, url)
    assert many == few and "Product 7" in page


def test_the_reorder_list_is_by_value_own_accounts_only_in_fixed_queries_with_a_csv(client, sales):
    variant = make_product(name="T8 tubes").variants.get()
    big = make_organization(name="Big Co", salesperson=sales)
    small = make_organization(name="Small Co", salesperson=sales)
    lapsed = make_organization(name="Lapsed Co", salesperson=sales)
    others = make_organization(name="Not Mine", salesperson=make_salesperson())
    _orders(big, variant, [0, 42, 84, 126], quantity=400)  # due day 168
    _orders(small, variant, [0, 42, 84, 126], quantity=4)
    _orders(lapsed, variant, [0, 14, 28, 42], quantity=40)  # due day 56: lapsing by day 165
    _orders(others, variant, [0, 42, 84, 126], quantity=4000)
    predictions_refresh(now=_day(165))
    clock.set_now(_day(165))
    url = reverse("backoffice:crm_reorders")

    few, page = _count(client, url)
    assert "Not Mine" not in page
    assert page.index("Big Co") < page.index("Small Co")
    assert "lapsing" in page and "due" in page
    lapsing_only = client.get(url, {"status": "lapsing"}).content.decode()
    assert "Lapsed Co" in lapsing_only and "Big Co" not in lapsing_only
    nav = client.get(reverse("backoffice:crm_tasks")).content.decode()
    assert reverse("backoffice:crm_reorders") in nav

    for i in range(10):
        _orders(make_organization(name=f"More {i}", salesperson=sales), variant, [1, 43, 85, 127])
    predictions_refresh(now=_day(165.5))
    clock.set_now(_day(165.5))
    many, page = _count(client, url)
    assert many == few and "More 9" in page

    csv = client.get(reverse("backoffice:crm_reorders_csv")).content.decode().splitlines()
    assert csv[0].startswith("customer,customer_id,salesperson,status,sku")
    assert csv[1].startswith("Big Co,") and ",due," in csv[1] and ",4000.00,USD," in csv[1]
    assert not any(line.startswith("Not Mine") for line in csv)


def test_a_reorder_task_offers_a_standing_order_filled_in_with_the_prediction(client, sales):
    organization = make_organization(name="Northwind", salesperson=sales)
    variant = make_product(name="T8 tubes").variants.get()
    _orders(organization, variant, [0, 42, 84, 126], quantity=40)
    clock.set_now(_day(164))
    automation_run(now=_day(164))
    task = Task.objects.get(rule="reorder_due")

    page = client.get(reverse("backoffice:crm_task", args=[task.public_id])).content.decode()
    assert "Set up a standing order" in page
    link = page.split('href="/backoffice/standing-orders/new/')[1].split('"')[0].replace("&amp;", "&")
    form = client.get(f"/backoffice/standing-orders/new/{link}").content.decode()

    assert f'value="{variant.sku}"' in form and 'value="40"' in form
    assert re.search(r'name="every" value="6"', form)
    assert re.search(r'name="start_date" value="2027-06-21"', form)  # the predicted date
    assert re.search(r'<option value="week" selected>', form)
    assert not re.search(r'<option value="month" selected>', form)


def test_a_bad_offer_in_the_link_is_left_out_not_an_error(client, sales):
    organization = make_organization(name="Northwind", salesperson=sales)
    url = reverse("backoffice:standing_order_new", args=[organization.public_id])

    response = client.get(url, {"sku": "NOPE", "quantity": "-3", "every_weeks": "99", "start": "someday"})

    assert response.status_code == 200
    assert 'value="NOPE"' not in response.content.decode()
