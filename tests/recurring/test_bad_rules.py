"""Repeat rules that would take the server down: refused wherever a rule comes in (the pages' forms, the API, the
services), and, when one is already stored, shown as "schedule needs attention" instead of breaking a list, the
scheduler or the simulation."""

import datetime as dt
import json
import logging
import re
from io import StringIO

import pytest
from django.core.management import call_command

from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.recurring.models import Change, Run, StandingOrder
from autosales.recurring.scheduler import scheduler_tick
from autosales.recurring.selectors import demand_forecast
from autosales.recurring.services import standing_order_reschedule
from tests.factories import make_checkout, make_staff, standing_order_form
from tests.recurring.conftest import START, make_standing_order

BAD_RULES = [
    "FREQ=DAILY;INTERVAL=0",  # dateutil never leaves its first day
    "FREQ=DAILY;INTERVAL=-1",
    "FREQ=DAILY;INTERVAL=100000",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",  # no such date: dateutil walks to the year 9999
    "FREQ=WEEKLY;BYDAY=MO;BYEASTER=1",
]
# Stored rules that break a list (the impossible one only costs seconds there, so it stands for the slow ones).
STORED = ["FREQ=DAILY;INTERVAL=0", "FREQ=DAILY;INTERVAL=-1", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"]


@pytest.fixture
def buyer(db):
    clock.set_now(START)
    return make_checkout(stock=20_000, price="2.50", has_account_terms=True, credit_limit="100000")


def _errors(html: str, field: str) -> str:
    section = html.split(f'id="field-{field}"', 1)[1]
    return " ".join(
        re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', section.split('<div class="so-field"')[0], re.S)
    )


@pytest.mark.parametrize("rule", BAD_RULES)
def test_the_api_refuses_a_bad_rule_naming_the_schedule_rule(client, buyer, rule):
    client.force_login(buyer.user)
    body = {
        "lines": [{"sku": buyer.variant.sku, "quantity": 10}],
        "schedule": {"rule": rule, "start_date": "2027-02-01"},
        "shipping_address": buyer.address.public_id,
        "shipping_method": buyer.shipping_method.code,
        "payment": {"kind": "account"},
    }

    response = client.post("/api/v1/standing-orders", json.dumps(body), content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "schedule.rule"
    assert not StandingOrder.objects.exists() and not Change.objects.exists()


@pytest.mark.parametrize("rule", BAD_RULES)
def test_changing_to_a_bad_rule_through_the_api_changes_nothing(client, buyer, rule):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)

    response = client.patch(
        f"/api/v1/standing-orders/{standing_order.public_id}",
        json.dumps({"schedule": {"rule": rule, "start_date": "2027-02-01"}}),
        content_type="application/json",
    )

    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "schedule.rule"
    assert StandingOrder.objects.get().rule == standing_order.rule


@pytest.mark.parametrize("rule", BAD_RULES)
def test_the_new_standing_order_form_refuses_a_bad_rule_next_to_the_rule(client, buyer, rule):
    client.force_login(buyer.user)

    response = client.post(
        "/standing-orders/new/", standing_order_form(buyer, interval="custom", rule=rule, start_date="2027-02-01")
    )

    assert response.status_code == 400
    assert _errors(response.content.decode(), "rule")
    assert not StandingOrder.objects.exists()


@pytest.mark.parametrize("rule", BAD_RULES)
def test_the_services_refuse_a_bad_rule(buyer, rule):
    standing_order = make_standing_order(buyer)
    with pytest.raises(DomainError) as caught:
        standing_order_reschedule(
            standing_order=standing_order, actor=buyer.user, rule=rule, start_date=dt.date(2027, 2, 1)
        )
    assert caught.value.field == "rule"
    with pytest.raises(DomainError) as caught:
        make_standing_order(buyer, rule=rule)
    assert caught.value.field == "rule"


def _stored_bad(checkout, rule: str) -> StandingOrder:
    """A standing order whose rule was written straight into the database, past every check."""
    standing_order = make_standing_order(checkout, name="Broken")
    StandingOrder.objects.filter(pk=standing_order.pk).update(rule=rule)
    return standing_order


@pytest.mark.parametrize("rule", STORED)
def test_a_stored_bad_rule_does_not_break_the_lists_or_the_detail(client, buyer, rule):
    good = make_standing_order(buyer, name="Good")
    bad = _stored_bad(buyer, rule)
    client.force_login(buyer.user)

    page = client.get("/standing-orders/")
    detail = client.get(f"/standing-orders/{bad.public_id}/")
    api = client.get("/api/v1/standing-orders")
    api_detail = client.get(f"/api/v1/standing-orders/{bad.public_id}")
    client.force_login(make_staff(group="manager"))
    backoffice = client.get("/backoffice/standing-orders/")
    forecast = client.get("/backoffice/forecast/")

    assert page.status_code == detail.status_code == backoffice.status_code == forecast.status_code == 200
    assert api.status_code == api_detail.status_code == 200
    for html in (page.content.decode(), backoffice.content.decode()):
        assert "Schedule needs attention" in html and good.public_id in html
    items = {item["public_id"]: item for item in api.json()["items"]}
    assert items[bad.public_id]["schedule"].startswith("Schedule needs attention")
    assert items[bad.public_id]["next_date"] is None
    assert items[good.public_id]["next_date"] == "2027-01-31"
    assert api_detail.json()["upcoming"] == []


@pytest.mark.parametrize("rule", STORED)
def test_the_scheduler_passes_over_a_stored_bad_rule_with_a_logged_error(buyer, rule, caplog):
    good = make_standing_order(buyer, name="Good")
    bad = _stored_bad(buyer, rule)

    with caplog.at_level(logging.ERROR):
        for day in range(7):
            moment = START + dt.timedelta(days=day)
            clock.set_now(moment)
            scheduler_tick(now=moment)

    assert Run.objects.get(standing_order=good).status == Run.Status.PLACED
    assert not Run.objects.filter(standing_order=bad).exists()
    assert StandingOrder.objects.get(pk=bad.pk).status == StandingOrder.Status.ACTIVE
    assert any(
        bad.public_id in record.getMessage() and "needs attention" in record.getMessage() for record in caplog.records
    )
    assert demand_forecast(today=START.date()).rows


@pytest.mark.django_db(transaction=True)
def test_simulate_passes_over_a_stored_bad_rule():
    clock.set_now(START)
    checkout = make_checkout(stock=20_000, price="2.50")
    make_standing_order(checkout, name="Good")
    _stored_bad(checkout, "FREQ=DAILY;INTERVAL=-1")
    out = StringIO()

    call_command("simulate", "--until", "2027-02-02", "--json", "--only", "placed", stdout=out)

    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["date"] for e in events if e["type"] == "placed"] == ["2027-01-31"]
