"""Standing-order pages for customers: list, new (from scratch and from the cart), detail with the next dates,
skip, un-skip, pause, resume, cancel and the edit pages; errors next to their fields, nothing changed on error,
other organizations' standing orders are 404s."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.core import clock
from autosales.orders.models import Order
from autosales.recurring.models import Change, Run, StandingOrder
from autosales.recurring.scheduler import scheduler_tick
from tests.factories import (
    make_address,
    make_checkout,
    make_member,
    make_product,
    make_user,
    standing_order_form,
)
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 25, 18, 0, tzinfo=dt.UTC)  # Monday 25 January 2027, noon in Chicago


@pytest.fixture
def buyer():
    """A business customer on account terms with bulbs in stock; the clock stands at NOW."""
    clock.set_now(NOW)
    return make_checkout(stock=20_000, price="2.50", has_account_terms=True, credit_limit="100000")


def _errors(html: str) -> str:
    return " ".join(re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', html, re.S))


# --- list ---


def test_the_list_shows_the_organizations_standing_orders_with_schedule_next_date_and_status(client, buyer):
    mine = make_standing_order(buyer, name="Warehouse bulbs")
    theirs = make_standing_order(make_checkout(stock=10), name="Somebody else's")
    client.force_login(buyer.user)

    html = client.get("/standing-orders/").content.decode()

    assert "Warehouse bulbs" in html and f"/standing-orders/{mine.public_id}/" in html
    assert "Every 2 months on the 31st (the last day in shorter months), until further notice" in html
    assert "Sun, Jan 31, 2027" in html and "Active" in html
    assert "Somebody else" not in html and theirs.public_id not in html


def test_the_next_date_in_the_list_leaves_out_a_skipped_date(client, buyer):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)
    client.post(f"/standing-orders/{standing_order.public_id}/skip/", {"date": "2027-01-31"})

    html = client.get("/standing-orders/").content.decode()

    assert "Wed, Mar 31, 2027" in html and "Jan 31, 2027" not in html


def _list_queries(client, count: int) -> int:
    checkout = make_checkout(stock=100)
    for _ in range(count):
        make_standing_order(checkout, quantity=2)
    client.force_login(checkout.user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/standing-orders/")
    assert response.status_code == 200
    assert response.content.decode().count("/standing-orders/") >= count
    client.logout()
    return len(queries)


def test_the_list_query_count_does_not_grow_with_the_standing_orders(client, buyer):
    assert _list_queries(client, 3) == _list_queries(client, 15)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/standing-orders/")
    assert response.status_code == 302 and "/account/signin/" in response["Location"]


# --- new ---


def test_repeat_this_order_on_the_cart_fills_the_form_with_the_carts_lines(client, buyer):
    other = make_product(price="4.00", stock=50)
    client.force_login(buyer.user)
    client.post("/cart/add/", {"sku": buyer.variant.sku, "quantity": "7"})
    client.post("/cart/add/", {"sku": other.variants.get().sku, "quantity": "3"})

    cart = client.get("/cart/").content.decode()
    assert 'href="/standing-orders/new/?from=cart"' in cart and "Repeat this order" in cart
    html = client.get("/standing-orders/new/?from=cart").content.decode()

    assert (
        f'name="sku" value="{buyer.variant.sku}"' in html
        and 'name="quantity" type="number" min="0" max="100000" value="7"' in html
    )
    assert f'name="sku" value="{other.variants.get().sku}"' in html and 'value="3"' in html
    assert 'name="from" value="cart"' in html
    # the account is offered (terms), and chosen by default
    assert re.search(r'name="payment_kind" value="account"\s+checked', html)


def test_creating_a_standing_order_saves_it_and_shows_the_next_dates(client, buyer):
    client.force_login(buyer.user)

    response = client.post("/standing-orders/new/", standing_order_form(buyer))

    standing_order = StandingOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/standing-orders/{standing_order.public_id}/"
    assert standing_order.organization == buyer.organization and standing_order.created_by == buyer.user
    assert standing_order.rule == "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"
    assert standing_order.payment_kind == "account" and standing_order.name == "Bulbs for the warehouse"
    assert [(line.variant, line.quantity) for line in standing_order.lines.all()] == [(buyer.variant, 1000)]
    html = client.get(response["Location"]).content.decode()
    for text in ("Sun, Jan 31, 2027", "Wed, Mar 31, 2027", "Mon, May 31, 2027", "Sat, Jul 31, 2027"):
        assert text in html
    assert "Tue, Aug 31, 2027" not in html  # every two months: August is not a date
    assert html.count('data-date="') == 6
    assert "$2,505.00" in html or "$2505.00" in html  # 1,000 × $2.50 + $5 shipping


def test_a_weekly_standing_order_paid_by_card_and_ending_after_n_orders(client, buyer):
    client.force_login(buyer.user)
    form = standing_order_form(
        buyer,
        interval="week",
        every="3",
        weekday="4",
        start_date="2027-01-26",
        end="count",
        max_occurrences="4",
        payment_kind="card",
        payment_token="tok_approve",
    )

    assert client.post("/standing-orders/new/", form).status_code == 302

    standing_order = StandingOrder.objects.get()
    assert standing_order.rule == "FREQ=WEEKLY;INTERVAL=3;BYDAY=FR"
    assert standing_order.max_occurrences == 4 and standing_order.payment_token == "tok_approve"
    html = client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()
    assert html.count('data-date="') == 4
    assert "Every 3 weeks on Friday, 4 orders in all" in html


def test_a_custom_rrule_is_accepted(client, buyer):
    client.force_login(buyer.user)
    form = standing_order_form(buyer, interval="custom", rule="FREQ=MONTHLY;BYDAY=1MO", start_date="2027-02-01")

    assert client.post("/standing-orders/new/", form).status_code == 302

    standing_order = StandingOrder.objects.get()
    html = client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()
    assert "Mon, Feb 1, 2027" in html and "Mon, Mar 1, 2027" in html and "Mon, Apr 5, 2027" in html


@pytest.mark.parametrize(
    ("overrides", "field_id", "text"),
    [
        ({"sku": ["NO-SUCH-SKU"]}, "field-lines", "No product has the SKU"),
        ({"quantity": ["lots"]}, "field-lines", "whole number"),
        ({"sku": [""], "quantity": [""]}, "field-lines", "Add at least one item"),
        ({"every": "0"}, "field-every", "greater than or equal to 1"),
        ({"day_of_month": ""}, "field-day_of_month", "The day of the month must be from 1 to 31"),
        ({"interval": "custom", "rule": "FREQ=HOURLY"}, "field-rule", "FREQ must be"),
        ({"start_date": "2026-12-01"}, "field-start_date", "cannot be in the past"),
        ({"start_date": "not a date"}, "field-start_date", "valid date"),
        ({"end": "date", "end_date": ""}, "field-end_date", "Enter the last date"),
        ({"end": "date", "end_date": "2027-01-01"}, "field-end_date", "before the first date"),
        ({"timezone": "Mars/Olympus"}, "field-timezone", "Select a valid choice"),
        ({"payment_kind": "card", "payment_token": ""}, "field-payment_token", "Enter the card"),
        ({"shipping_address": "nope"}, "field-shipping_address", "Select a valid choice"),
        ({"notice_days": "99"}, "field-notice_days", "less than or equal to 30"),
        ({"stock_policy": "wish"}, "field-stock_policy", "Select a valid choice"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_saves_nothing(client, buyer, overrides, field_id, text):
    client.force_login(buyer.user)

    response = client.post("/standing-orders/new/", standing_order_form(buyer, **overrides))

    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was saved" in html
    section = re.split(r'<div class="so-field"', html.split(f'id="{field_id}"', 1)[1])[0]
    assert text in _errors(section)
    assert not StandingOrder.objects.exists() and not Change.objects.exists()


def test_the_account_is_refused_with_the_reason_when_the_organization_has_no_terms(client):
    clock.set_now(NOW)
    checkout = make_checkout(stock=2000)
    client.force_login(checkout.user)

    form_page = client.get("/standing-orders/new/").content.decode()
    response = client.post("/standing-orders/new/", standing_order_form(checkout, payment_kind="account"))

    assert 'class="warning account-unavailable"' in form_page
    assert response.status_code == 400
    assert _errors(response.content.decode().split('id="field-payment_kind"', 1)[1])
    assert not StandingOrder.objects.exists()


def test_a_user_of_no_organization_gets_a_404(client):
    client.force_login(make_user())
    assert client.get("/standing-orders/").status_code == 404
    assert client.get("/standing-orders/new/").status_code == 404


# --- detail and actions ---


def test_skip_then_unskip_a_date(client, buyer):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)

    response = client.post(f"/standing-orders/{standing_order.public_id}/skip/", {"date": "2027-03-31"})

    assert response.status_code == 302
    run = Run.objects.get(standing_order=standing_order, scheduled_for=dt.date(2027, 3, 31))
    assert run.status == "skipped"
    html = client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()
    row = html.split('data-date="2027-03-31"', 1)[1].split("</tr>", 1)[0]
    assert "Skipped" in row and "Un-skip" in row and "—" in row  # no estimate for a skipped date
    assert "Skipped 2027-03-31" in html  # the change log

    client.post(f"/standing-orders/{standing_order.public_id}/unskip/", {"date": "2027-03-31"})
    run.refresh_from_db()
    assert run.status == "scheduled"


def test_skipping_a_date_that_is_not_in_the_schedule_is_refused_next_to_the_dates(client, buyer):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)

    response = client.post(f"/standing-orders/{standing_order.public_id}/skip/", {"date": "2027-02-28"})
    bad = client.post(f"/standing-orders/{standing_order.public_id}/skip/", {"date": "31/01/2027"})

    assert response.status_code == 400 and "There is no upcoming order on that date." in response.content.decode()
    assert bad.status_code == 400 and "choose one of the dates listed" in bad.content.decode()
    assert not Run.objects.exists() and not Change.objects.filter(kind="skipped").exists()


def test_pause_until_a_date_then_resume(client, buyer):
    standing_order = make_standing_order(buyer, every=1, day=1, start=dt.date(2027, 2, 1))
    client.force_login(buyer.user)

    client.post(f"/standing-orders/{standing_order.public_id}/pause/", {"until": "2027-03-15"})

    standing_order.refresh_from_db()
    assert standing_order.status == "paused" and standing_order.paused_until == dt.date(2027, 3, 15)
    html = client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()
    assert "paused until Mar 15, 2027" in html
    assert "Skipped (paused)" in html.split('data-date="2027-02-01"', 1)[1].split("</tr>", 1)[0]
    assert "Skipped" not in html.split('data-date="2027-04-01"', 1)[1].split("</tr>", 1)[0]

    client.post(f"/standing-orders/{standing_order.public_id}/resume/")

    standing_order.refresh_from_db()
    assert standing_order.status == "active" and standing_order.paused_until is None
    assert "Resumed" in client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()


def test_pausing_until_a_past_date_is_refused_next_to_the_field(client, buyer):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)

    response = client.post(f"/standing-orders/{standing_order.public_id}/pause/", {"until": "2027-01-01"})

    assert response.status_code == 400
    assert "Pause until: Pause until a date after today." in response.content.decode()
    standing_order.refresh_from_db()
    assert standing_order.status == "active"


def test_cancel_asks_for_confirmation_then_cancels(client, buyer):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)
    url = f"/standing-orders/{standing_order.public_id}/cancel/"

    assert "Yes, cancel this standing order" in client.get(url).content.decode()
    unconfirmed = client.post(url, {"reason": "moving"})
    standing_order.refresh_from_db()
    assert unconfirmed.status_code == 400 and standing_order.status == "active"

    assert client.post(url, {"reason": "moving", "confirm": "yes"}).status_code == 302

    standing_order.refresh_from_db()
    assert standing_order.status == "cancelled"
    html = client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()
    assert "Cancelled: moving" in html and "No further dates." in html
    assert "/skip/" not in html and "/edit/" not in html
    assert client.get(f"/standing-orders/{standing_order.public_id}/edit/lines/").status_code == 302


def test_the_history_links_each_placed_order_and_the_change_log_says_who(client, buyer):
    standing_order = make_standing_order(buyer, kind="account")
    colleague = make_member(organization=buyer.organization, first_name="Pat", last_name="Lee")
    client.force_login(colleague)
    client.post(f"/standing-orders/{standing_order.public_id}/skip/", {"date": "2027-03-31"})
    moment = dt.datetime(2027, 1, 31, 13, tzinfo=dt.UTC)
    clock.set_now(moment)
    scheduler_tick(now=moment)

    html = client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()

    order = Order.objects.get()
    assert f'href="/orders/{order.public_id}/"' in html and order.number_display in html
    assert "Pat Lee: Skipped 2027-03-31" in html
    assert re.search(r"user\d+: Created: Every 2 months on the 31st", html) or "Created: Every 2 months" in html


# --- edit pages ---


def test_changing_the_items(client, buyer):
    standing_order = make_standing_order(buyer)
    other = make_product(price="1.00", stock=100)
    client.force_login(buyer.user)
    url = f"/standing-orders/{standing_order.public_id}/edit/lines/"
    assert f'value="{buyer.variant.sku}"' in client.get(url).content.decode()

    response = client.post(url, {"sku": [buyer.variant.sku, other.variants.get().sku, ""], "quantity": ["0", "40", ""]})

    assert response.status_code == 302
    assert [(line.variant_id, line.quantity) for line in standing_order.lines.all()] == [(other.variants.get().pk, 40)]
    assert "Items changed from 1,000 × " in client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()


def test_changing_the_items_to_a_bad_quantity_changes_nothing(client, buyer):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)
    url = f"/standing-orders/{standing_order.public_id}/edit/lines/"

    response = client.post(url, {"sku": [buyer.variant.sku], "quantity": ["200000"]})

    assert response.status_code == 400
    assert "Row 1: The quantity must be a whole number from 1 to 100,000." in response.content.decode()
    assert [line.quantity for line in standing_order.lines.all()] == [1000]


def test_changing_delivery_and_payment(client, buyer):
    standing_order = make_standing_order(buyer)
    depot = make_address(organization=buyer.organization, label="Depot", line1="9 Depot Lane")
    client.force_login(buyer.user)
    url = f"/standing-orders/{standing_order.public_id}/edit/delivery/"
    form = {
        "name": "Depot bulbs",
        "shipping_address": depot.public_id,
        "shipping_method": buyer.shipping_method.code,
        "payment_kind": "account",
        "payment_token": "",
        "notice_days": "5",
        "stock_policy": "retry",
        "stock_retry_days": "4",
    }

    assert client.post(url, form).status_code == 302

    standing_order.refresh_from_db()
    assert standing_order.shipping_address == depot and standing_order.payment_kind == "account"
    assert (standing_order.notice_days, standing_order.stock_policy, standing_order.stock_retry_days) == (5, "retry", 4)
    html = client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()
    assert "9 Depot Lane" in html
    assert (
        "Changed delivery address, shipping method to " in html
        and "payment to account, advance notice days to 5" in html
    )


def test_changing_delivery_with_a_bad_notice_changes_nothing(client, buyer):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)
    url = f"/standing-orders/{standing_order.public_id}/edit/delivery/"
    form = {
        "name": "x",
        "shipping_address": buyer.address.public_id,
        "shipping_method": buyer.shipping_method.code,
        "payment_kind": "card",
        "payment_token": "",
        "notice_days": "-1",
        "stock_policy": "retry",
        "stock_retry_days": "3",
    }

    response = client.post(url, form)

    html = response.content.decode()
    assert response.status_code == 400
    assert "greater than or equal to 0" in _errors(html.split('id="field-notice_days"', 1)[1][:2000])
    standing_order.refresh_from_db()
    assert standing_order.notice_days == 3 and standing_order.name == ""


def test_changing_the_schedule(client, buyer):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)
    url = f"/standing-orders/{standing_order.public_id}/edit/schedule/"
    page = client.get(url).content.decode()
    # the schedule in words, and the form as a sentence set to it: "Every [2] [months] on the [31st]"
    assert "Now: Every 2 months on the 31st (the last day in shorter months), until further notice" in page
    assert '<option value="month" selected>' in page and '<option value="31" selected>31st</option>' in page

    response = client.post(
        url,
        {
            "interval": "week",
            "every": "1",
            "weekday": "0",
            "day_of_month": "",
            "start_date": "2027-02-01",
            "end": "date",
            "end_date": "2027-02-22",
            "timezone": "America/Chicago",
        },
    )

    assert response.status_code == 302
    standing_order.refresh_from_db()
    assert standing_order.rule == "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO" and standing_order.end_date == dt.date(2027, 2, 22)
    html = client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()
    assert html.count('data-date="') == 4 and "Schedule changed to Every week on Monday" in html


def test_changing_the_schedule_to_a_bad_rule_changes_nothing(client, buyer):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)
    url = f"/standing-orders/{standing_order.public_id}/edit/schedule/"

    response = client.post(
        url,
        {
            "interval": "custom",
            "rule": "FREQ=MONTHLY;COUNT=3",
            "start_date": "2027-02-01",
            "end": "never",
            "timezone": "America/Chicago",
        },
    )

    assert response.status_code == 400
    assert "COUNT cannot be part of the rule" in _errors(response.content.decode().split('id="field-rule"', 1)[1])
    standing_order.refresh_from_db()
    assert standing_order.rule.startswith("FREQ=MONTHLY;INTERVAL=2")


# --- another organization's standing order ---


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", {}),
        ("post", "skip/", {"date": "2027-01-31"}),
        ("post", "unskip/", {"date": "2027-01-31"}),
        ("post", "pause/", {}),
        ("post", "resume/", {}),
        ("get", "cancel/", {}),
        ("post", "cancel/", {"confirm": "yes"}),
        ("get", "edit/lines/", {}),
        ("post", "edit/lines/", {"sku": ["X"], "quantity": ["1"]}),
        ("get", "edit/delivery/", {}),
        ("get", "edit/schedule/", {}),
    ],
)
def test_another_organizations_standing_order_is_a_404_and_unchanged(client, buyer, method, suffix, data):
    theirs = make_standing_order(make_checkout(stock=100))
    client.force_login(buyer.user)

    response = getattr(client, method)(f"/standing-orders/{theirs.public_id}/{suffix}", data)

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "active" and not Run.objects.exists()
    assert list(Change.objects.filter(standing_order=theirs).values_list("kind", flat=True)) == ["created"]


# --- moving weekend and holiday dates to the next working day ---


def test_a_standing_order_moving_weekend_dates_shows_them_moved_in_the_next_dates(client, buyer):
    client.force_login(buyer.user)
    form = client.get("/standing-orders/new/").content.decode()
    assert "If a date falls on a weekend or holiday, move it to the next working day" in form
    assert re.search(r'<input type="checkbox" name="move_to_working_day"[^>]*id="id_move_to_working_day">', form)

    response = client.post("/standing-orders/new/", standing_order_form(buyer, move_to_working_day="on"))

    standing_order = StandingOrder.objects.get()
    assert response.status_code == 302 and standing_order.move_to_working_day
    html = client.get(response["Location"]).content.decode()
    assert "Mon Feb 1 (moved from Sun Jan 31)" in html  # Sunday January 31st
    assert "Mon Aug 2 (moved from Sat Jul 31)" in html
    assert "Wed, Mar 31, 2027" in html  # a weekday stays
    assert "a weekend or holiday date moves to the next working day" in html


def test_the_schedule_page_turns_moving_on_and_off(client, buyer):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)
    url = f"/standing-orders/{standing_order.public_id}/edit/schedule/"
    schedule = {
        "interval": "month",
        "every": "2",
        "day_of_month": "31",
        "start_date": "2027-01-31",
        "end": "never",
        "timezone": "America/Chicago",
    }

    assert client.post(url, {**schedule, "move_to_working_day": "on"}).status_code == 302
    standing_order.refresh_from_db()
    assert standing_order.move_to_working_day
    page = client.get(url).content.decode()
    assert re.search(r'<input type="checkbox" name="move_to_working_day"[^>]* checked>', page)
    # an error elsewhere in the form changes nothing, the option included
    bad = client.post(url, {**schedule, "start_date": "2020-01-01"})
    assert bad.status_code == 400
    standing_order.refresh_from_db()
    assert standing_order.move_to_working_day
    # an unticked box turns it off
    assert client.post(url, schedule).status_code == 302
    standing_order.refresh_from_db()
    assert not standing_order.move_to_working_day
    html = client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()
    assert "Sun, Jan 31, 2027" in html and "moved from" not in html
    assert "weekend and holiday dates now move to the next working day" in html  # the change log says both
    assert "weekend and holiday dates no longer move" in html
