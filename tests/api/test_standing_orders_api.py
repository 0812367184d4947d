"""The standing-orders API: list, create, detail with the next dates, change, skip, un-skip, pause, resume,
cancel, and the staff-only forecast; other organizations' standing orders are 404s, bad input is a 4xx naming
the field and changes nothing, lists cost a fixed number of queries."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.core import clock
from autosales.customers.tokens import token_create
from autosales.recurring.models import Change, Run, StandingOrder
from autosales.recurring.scheduler import scheduler_tick
from tests.factories import make_address, make_checkout, make_product, make_staff, make_user
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db

URL = "/api/v1/standing-orders"
NOW = dt.datetime(2027, 1, 25, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def buyer():
    clock.set_now(NOW)
    return make_checkout(stock=20_000, price="2.50", has_account_terms=True, credit_limit="100000")


def _body(checkout, **overrides) -> dict:
    body = {
        "name": "Warehouse bulbs",
        "lines": [{"sku": checkout.variant.sku, "quantity": 1000}],
        "schedule": {"every": 2, "unit": "month", "day_of_month": 31, "start_date": "2027-01-31"},
        "shipping_address": checkout.address.public_id,
        "shipping_method": checkout.shipping_method.code,
        "payment": {"kind": "account"},
    }
    body.update(overrides)
    return body


def _post(client, url, body=None, **headers):
    return client.post(url, json.dumps(body or {}), content_type="application/json", **headers)


def _patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def _field(response) -> str:
    return response.json()["errors"][0]["field"]


# --- create and read ---


def test_creating_a_standing_order_answers_201_with_the_next_dates_and_estimates(client, buyer):
    client.force_login(buyer.user)

    response = _post(client, URL, _body(buyer))

    assert response.status_code == 201
    body = response.json()
    standing_order = StandingOrder.objects.get()
    assert body["public_id"] == standing_order.public_id and body["status"] == "active"
    assert body["rule"] == "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"
    assert body["schedule"] == "Every 2 months on the 31st (the last day in shorter months)"
    assert body["timezone"] == buyer.organization.local_time_zone and body["payment_kind"] == "account"
    assert body["lines"] == [{"sku": buyer.variant.sku, "name": body["lines"][0]["name"], "quantity": 1000}]
    assert [o["date"] for o in body["upcoming"]] == [
        "2027-01-31",
        "2027-03-31",
        "2027-05-31",
        "2027-07-31",
        "2027-09-30",
        "2027-11-30",
    ]
    assert body["upcoming"][0]["estimated_total"] == {"amount": "2505.00", "currency": "USD"}
    assert body["next_date"] == "2027-01-31"
    assert body["url"].endswith(f"/standing-orders/{standing_order.public_id}/")
    assert [c["kind"] for c in body["changes"]] == ["created"] and body["changes"][0]["actor"] == buyer.user.username


def test_a_weekly_standing_order_by_card_from_the_callers_cart_with_a_bearer_token(client, buyer):
    token = token_create(user=buyer.user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client.post(
        "/api/v1/cart/lines",
        json.dumps({"sku": buyer.variant.sku, "quantity": 12}),
        content_type="application/json",
        **auth,
    )
    body = _body(
        buyer,
        lines=None,
        schedule={"every": 1, "unit": "week", "weekday": "friday", "start_date": "2027-01-26", "max_occurrences": 3},
        payment={"kind": "card", "token": "tok_approve"},
    )

    response = _post(client, URL, body, **auth)

    assert response.status_code == 201, response.content
    assert response.json()["lines"][0]["quantity"] == 12
    assert [o["date"] for o in response.json()["upcoming"]] == ["2027-01-29", "2027-02-05", "2027-02-12"]
    assert StandingOrder.objects.get().payment_token == "tok_approve"


def test_a_custom_rule(client, buyer):
    client.force_login(buyer.user)
    body = _body(buyer, schedule={"rule": "FREQ=MONTHLY;BYDAY=1MO", "start_date": "2027-02-01"})

    response = _post(client, URL, body)

    assert response.status_code == 201
    assert [o["date"] for o in response.json()["upcoming"]][:3] == ["2027-02-01", "2027-03-01", "2027-04-05"]


def test_the_list_shows_the_callers_organizations_standing_orders_only(client, buyer):
    mine = make_standing_order(buyer)
    make_standing_order(make_checkout(stock=100))
    client.force_login(buyer.user)

    body = client.get(URL).json()

    assert [item["public_id"] for item in body["items"]] == [mine.public_id] and body["count"] == 1
    assert body["items"][0]["next_date"] == "2027-01-31"
    assert client.get(f"{URL}?status=paused").json()["count"] == 0
    bad = client.get(f"{URL}?status=sleeping")
    assert bad.status_code == 422 and _field(bad) == "status"


def _list_queries(client, count: int) -> int:
    checkout = make_checkout(stock=100)
    for _ in range(count):
        make_standing_order(checkout, quantity=2)
    client.force_login(checkout.user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{URL}?page_size=100")
    assert response.status_code == 200 and len(response.json()["items"]) == count
    client.logout()
    return len(queries)


def test_the_list_query_count_does_not_grow_with_the_standing_orders(client, buyer):
    assert _list_queries(client, 3) == _list_queries(client, 20)


def test_the_detail_shows_runs_with_their_orders(client, buyer):
    standing_order = make_standing_order(buyer, kind="account")
    moment = dt.datetime(2027, 1, 31, 13, tzinfo=dt.UTC)
    clock.set_now(moment)
    scheduler_tick(now=moment)
    client.force_login(buyer.user)

    body = client.get(f"{URL}/{standing_order.public_id}").json()

    run = Run.objects.get()
    assert body["runs"] == [
        {
            "date": "2027-01-31",
            "moved_to": None,
            "kind": "occurrence",
            "status": "placed",
            "late": False,
            "order": run.order.public_id,
            "order_number": run.order.number_display,
            "failures": 0,
            "last_error": "",
            "next_attempt_at": None,
        }
    ]
    assert body["next_date"] == "2027-03-31"


# --- bad input ---


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, 400, "lines.0.sku"),
        ({"lines": [{"sku": "X", "quantity": 0}]}, 422, "lines.0.quantity"),
        ({"lines": []}, 400, "lines"),
        ({"schedule": {"every": 2, "unit": "month", "start_date": "2027-01-31"}}, 400, "schedule.day_of_month"),
        ({"schedule": {"every": 2, "unit": "week", "start_date": "2027-01-31"}}, 400, "schedule.weekday"),
        ({"schedule": {"start_date": "2027-01-31"}}, 400, "schedule.every"),
        ({"schedule": {"rule": "FREQ=MINUTELY", "start_date": "2027-01-31"}}, 400, "schedule.rule"),
        (
            {"schedule": {"rule": "FREQ=DAILY", "every": 1, "unit": "week", "start_date": "2027-02-01"}},
            400,
            "schedule.rule",
        ),
        ({"schedule": {"rule": "FREQ=DAILY", "start_date": "2026-01-01"}}, 400, "schedule.start_date"),
        (
            {"schedule": {"rule": "FREQ=DAILY", "start_date": "2027-02-01", "timezone": "Nowhere/Land"}},
            400,
            "schedule.timezone",
        ),
        ({"schedule": {"rule": "FREQ=DAILY", "start_date": "31/01/2027"}}, 422, "schedule.start_date"),
        (
            {
                "schedule": {
                    "rule": "FREQ=DAILY",
                    "start_date": "2027-02-01",
                    "end_date": "2027-03-01",
                    "max_occurrences": 2,
                }
            },
            400,
            "schedule.end_date",
        ),
        ({"payment": {"kind": "card"}}, 400, "payment.token"),
        ({"payment": {"kind": "cash"}}, 422, "payment.kind"),
        ({"shipping_address": "nope"}, 404, "shipping_address"),
        ({"shipping_method": "teleport"}, 400, "shipping_method"),
        ({"notice_days": 31}, 422, "notice_days"),
        ({"stock_policy": "hope"}, 422, "stock_policy"),
        (
            {"schedule": {"rule": "FREQ=DAILY", "start_date": "2027-02-01", "move_to_working_day": "yes"}},
            422,
            "schedule.move_to_working_day",
        ),
        (
            {"schedule": {"rule": "FREQ=DAILY", "start_date": "2027-02-01", "move_to_working_day": 1}},
            422,
            "schedule.move_to_working_day",
        ),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field_and_creates_nothing(client, buyer, change, status, field):
    client.force_login(buyer.user)

    response = _post(client, URL, _body(buyer, **change))

    assert response.status_code == status, response.content
    assert _field(response) == field
    assert not StandingOrder.objects.exists() and not Change.objects.exists()


def test_the_account_is_refused_with_the_reason_when_there_are_no_terms(client):
    clock.set_now(NOW)
    checkout = make_checkout(stock=100)
    client.force_login(checkout.user)

    response = _post(client, URL, _body(checkout))

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "payment.kind",
        "code": "account_unavailable",
        "message": response.json()["message"],
    }
    assert not StandingOrder.objects.exists()


def test_another_organizations_address_is_a_404_naming_it(client, buyer):
    client.force_login(buyer.user)
    theirs = make_address()

    response = _post(client, URL, _body(buyer, shipping_address=theirs.public_id))

    assert response.status_code == 404 and _field(response) == "shipping_address"


def test_a_caller_of_no_organization_gets_a_404(client):
    client.force_login(make_user())
    assert client.get(URL).status_code == 404


def test_signed_out_callers_get_a_401(client):
    assert client.get(URL).status_code == 401


# --- change and act ---


def test_patch_changes_lines_delivery_payment_notice_and_schedule_together(client, buyer):
    standing_order = make_standing_order(buyer)
    other = make_product(price="1.00", stock=100)
    depot = make_address(organization=buyer.organization, label="Depot")
    client.force_login(buyer.user)

    response = _patch(
        client,
        f"{URL}/{standing_order.public_id}",
        {
            "lines": [{"sku": other.variants.get().sku, "quantity": 40}],
            "shipping_address": depot.public_id,
            "payment": {"kind": "account"},
            "notice_days": 7,
            "schedule": {"every": 1, "unit": "week", "weekday": "monday", "start_date": "2027-02-01"},
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["lines"][0]["quantity"] == 40 and body["shipping_address"]["id"] == depot.public_id
    assert body["payment_kind"] == "account" and body["notice_days"] == 7
    assert body["schedule"] == "Every week on Monday" and body["upcoming"][0]["date"] == "2027-02-01"
    assert {c["kind"] for c in body["changes"]} == {"created", "lines_changed", "rescheduled", "updated"}


def test_a_patch_with_one_bad_part_changes_nothing(client, buyer):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)

    response = _patch(
        client,
        f"{URL}/{standing_order.public_id}",
        {
            "lines": [{"sku": buyer.variant.sku, "quantity": 5}],
            "schedule": {"rule": "FREQ=DAILY;COUNT=2", "start_date": "2027-02-01"},
        },
    )

    assert response.status_code == 400 and _field(response) == "schedule.rule"
    assert [line.quantity for line in standing_order.lines.all()] == [1000]
    standing_order.refresh_from_db()
    assert standing_order.rule.startswith("FREQ=MONTHLY")
    assert list(Change.objects.values_list("kind", flat=True)) == ["created"]


def test_weekend_dates_move_to_the_next_working_day_when_asked_and_a_patch_keeps_the_setting(client, buyer):
    client.force_login(buyer.user)
    schedule = {"every": 2, "unit": "month", "day_of_month": 31, "start_date": "2027-01-31"}

    created = _post(client, URL, _body(buyer, schedule={**schedule, "move_to_working_day": True}))

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["move_to_working_day"] is True
    moved = {o["date"]: o["moved_to"] for o in body["upcoming"]}
    assert moved["2027-01-31"] == "2027-02-01" and moved["2027-07-31"] == "2027-08-02"
    assert moved["2027-03-31"] is None
    url = f"{URL}/{body['public_id']}"
    # a new schedule without the field keeps the setting; false turns it off
    kept = _patch(client, url, {"schedule": {**schedule, "every": 1}}).json()
    assert kept["move_to_working_day"] is True and kept["upcoming"][1]["moved_to"] == "2027-03-01"
    off = _patch(client, url, {"schedule": {**schedule, "move_to_working_day": False}}).json()
    assert off["move_to_working_day"] is False and all(o["moved_to"] is None for o in off["upcoming"])
    refused = _patch(client, url, {"schedule": {**schedule, "move_to_working_day": "sometimes"}})
    assert refused.status_code == 422 and _field(refused) == "schedule.move_to_working_day"
    assert StandingOrder.objects.get().move_to_working_day is False


def test_skip_unskip_pause_resume_and_cancel(client, buyer):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)
    base = f"{URL}/{standing_order.public_id}"

    skipped = _post(client, f"{base}/skip", {"date": "2027-01-31"}).json()
    assert skipped["upcoming"][0]["skipped"] is True and skipped["upcoming"][0]["estimated_total"] is None
    assert skipped["next_date"] == "2027-03-31"
    assert _post(client, f"{base}/unskip", {"date": "2027-01-31"}).json()["upcoming"][0]["skipped"] is False

    paused = _post(client, f"{base}/pause", {"until": "2027-04-01"}).json()
    assert paused["status"] == "paused" and paused["paused_until"] == "2027-04-01"
    assert [o["skipped"] for o in paused["upcoming"][:3]] == [True, True, False]
    assert _post(client, f"{base}/resume").json()["status"] == "active"

    cancelled = _post(client, f"{base}/cancel", {"reason": "closing the depot"}).json()
    assert cancelled["status"] == "cancelled" and cancelled["upcoming"] == []
    again = _post(client, f"{base}/pause", {})
    assert again.status_code == 409 and again.json()["code"] == "standing_order_illegal_transition"


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("skip", {"date": "2027-02-28"}, 400, "date"),
        ("skip", {"date": "soon"}, 422, "date"),
        ("skip", {}, 422, "date"),
        ("unskip", {"date": "2027-01-31"}, 400, "date"),
        ("pause", {"until": "2027-01-01"}, 400, "until"),
        ("resume", None, 409, "status"),
    ],
)
def test_actions_refuse_bad_input_naming_the_field(client, buyer, path, body, status, field):
    standing_order = make_standing_order(buyer)
    client.force_login(buyer.user)

    response = _post(client, f"{URL}/{standing_order.public_id}/{path}", body)

    assert response.status_code == status and _field(response) == field
    assert not Run.objects.exists()
    standing_order.refresh_from_db()
    assert standing_order.status == "active"


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"notice_days": 1}),
        ("post", "/skip", {"date": "2027-01-31"}),
        ("post", "/unskip", {"date": "2027-01-31"}),
        ("post", "/pause", {}),
        ("post", "/resume", None),
        ("post", "/cancel", {}),
    ],
)
def test_another_organizations_standing_order_is_a_404_and_unchanged(client, buyer, method, suffix, body):
    theirs = make_standing_order(make_checkout(stock=100))
    client.force_login(buyer.user)
    url = f"{URL}/{theirs.public_id}{suffix}"

    if method == "get":
        response = client.get(url)
    elif method == "patch":
        response = _patch(client, url, body)
    else:
        response = _post(client, url, body)

    assert response.status_code == 404 and response.json()["code"] == "standing_order_not_found"
    theirs.refresh_from_db()
    assert theirs.status == "active" and theirs.notice_days == 3 and not Run.objects.exists()


# --- forecast ---


def test_the_forecast_is_for_staff(client, buyer):
    make_standing_order(buyer, quantity=1000)
    client.force_login(buyer.user)
    assert client.get("/api/v1/forecast").status_code == 403
    client.force_login(make_staff())
    assert client.get("/api/v1/forecast").status_code == 403

    client.force_login(make_staff(group="fulfillment"))
    body = client.get("/api/v1/forecast").json()

    assert len(body["week_starts"]) == 13 and body["week_starts"][0] == "2027-01-25"
    [row] = body["rows"]
    assert row["sku"] == buyer.variant.sku and row["available"] == 20_000
    assert row["weeks"][0] == 1000 and row["weeks"][9] == 1000 and row["total"] == 2000
    assert row["short"] is False and row["short_from"] is None
    assert len(client.get("/api/v1/forecast?weeks=4").json()["week_starts"]) == 4
    bad = client.get("/api/v1/forecast?weeks=0")
    assert bad.status_code == 422 and _field(bad) == "weeks"
