"""The standing-order form in words: "Every [2] [months] on the [29th]", the custom rule behind "advanced", the
store's card form, and what the first date means (sooner than the notice, a day nothing is delivered); the next
dates flag weekends and public holidays."""

import datetime as dt
import re
from html import unescape

import pytest

from autosales.core import clock
from autosales.inventory.models import Warehouse
from autosales.recurring.schedule import rule_for
from tests.factories import make_checkout, standing_order_form
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 25, 18, 0, tzinfo=dt.UTC)  # Monday 25 January 2027, noon in Chicago


@pytest.fixture
def buyer():
    clock.set_now(NOW)
    return make_checkout(stock=20_000, price="2.50", has_account_terms=True, credit_limit="100000")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<(option|[^>]+)>[^<]*</option>|<[^>]+>", " ", html))


def test_the_schedule_reads_as_a_sentence_with_the_rule_behind_advanced(client, buyer):
    client.force_login(buyer.user)
    html = client.get("/standing-orders/new/").content.decode()

    sentence = html.split('class="so-words"', 1)[1].split("</p>", 1)[0]
    words = _text(sentence.split(">", 1)[1])
    assert words.startswith(" Every ") and " on " in words and " on the " in words
    assert '<option value="month" selected>month(s)</option>' in sentence
    assert '<option value="26" selected>26th</option>' in sentence  # tomorrow's day of the month
    assert 'data-repeat="week"' in sentence and 'data-repeat="month"' in sentence
    advanced = html.split('<details class="so-advanced"', 1)[1].split("</details>", 1)[0]
    assert "Advanced: a custom rule (RFC 5545 RRULE)" in advanced and 'name="rule"' in advanced
    assert not advanced.startswith(" data-repeat-advanced open")  # closed unless a custom rule is chosen
    # the card is the store's one card form
    assert 'id="standing-order-form"' in html and 'name="payment_token" value=""' in html
    assert "Test gateway: use one of these tokens" in html


def test_a_custom_rule_with_an_error_opens_the_advanced_part(client, buyer):
    client.force_login(buyer.user)
    response = client.post("/standing-orders/new/", standing_order_form(buyer, interval="custom", rule="FREQ=HOURLY"))
    assert response.status_code == 400
    assert '<details class="so-advanced" data-repeat-advanced open>' in response.content.decode()


def test_a_first_date_sooner_than_the_notice_is_explained(client, buyer):
    client.force_login(buyer.user)
    html = unescape(client.get("/standing-orders/new/").content.decode())  # first date tomorrow, 3 days' notice
    assert (
        "The first date, Tue, Jan 26, is 1 day away: sooner than the 3 days' notice, so its notice email goes out"
        " at once" in html
    )
    html = client.post(
        "/standing-orders/new/", standing_order_form(buyer, start_date="2027-02-10", every="0")
    ).content.decode()
    assert "sooner than the" not in html  # far enough ahead


def test_a_first_date_on_a_weekend_or_a_holiday_is_shown_with_the_next_delivery_day(client, buyer):
    warehouse = Warehouse.objects.get()
    warehouse.holiday_country = "US"
    warehouse.save()
    client.force_login(buyer.user)

    saturday = client.post(
        "/standing-orders/new/", standing_order_form(buyer, start_date="2027-01-30", every="0")
    ).content.decode()
    presidents_day = client.post(
        "/standing-orders/new/", standing_order_form(buyer, start_date="2027-02-15", every="0")
    ).content.decode()

    assert "Sat, Jan 30 is a Saturday: carriers do not deliver then. The next delivery day is Mon, Feb 1." in saturday
    assert "Mon, Feb 15 is Washington&#x27;s Birthday, a public holiday" in presidents_day
    assert "The next delivery day is Tue, Feb 16." in presidents_day


def test_the_next_dates_flag_weekends_and_public_holidays(client, buyer):
    warehouse = Warehouse.objects.get()
    warehouse.holiday_country = "US"
    warehouse.save()
    weekly = make_standing_order(buyer, rule=rule_for(every=1, unit="week", weekday=0), start=dt.date(2027, 2, 1))
    monthly = make_standing_order(buyer)  # the 31st: Sunday, January 31 2027
    client.force_login(buyer.user)

    weekly_page = client.get(f"/standing-orders/{weekly.public_id}/").content.decode()
    monthly_page = client.get(f"/standing-orders/{monthly.public_id}/").content.decode()

    assert "Washington&#x27;s Birthday, a public holiday: no delivery that day" in weekly_page
    assert weekly_page.count("no delivery that day") == 1  # the other Mondays are delivery days
    assert "A Sunday: no delivery that day" in monthly_page


def test_with_moving_chosen_the_note_says_the_first_order_moves_to_the_next_working_day(client, buyer):
    client.force_login(buyer.user)

    page = client.post(
        "/standing-orders/new/",
        standing_order_form(buyer, start_date="2027-01-30", every="0", move_to_working_day="on"),
    ).content.decode()

    assert "Sat, Jan 30 is a Saturday: carriers do not deliver then, so its order is moved to Mon, Feb 1." in page
