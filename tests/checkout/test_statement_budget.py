"""The speed budget of one API checkout (docs/DESIGN.md): at most 20 SQL statements and 3 transactions, the
gateway called outside them, whatever the number of lines. Counted as `bench/checkout.py` counts a real
request: every statement on the connection, and as transactions the commits and rollbacks of atomic blocks
plus writing statements run outside one. SQLite starts each transaction with a `BEGIN IMMEDIATE` statement
(PostgreSQL's driver sends its BEGIN out of sight): those are left out of the statement count here.
"""

import json
import uuid

import pytest
from django.test import Client

from autosales.customers.tokens import token_create
from autosales.orders.models import Order, OrderStatus
from autosales.pricing.tax import TaxRate
from tests.factories import make_checkout, make_product, make_tax_rate
from tests.statements import counting

pytestmark = pytest.mark.django_db(transaction=True)

MAX_STATEMENTS = 19
MAX_TRANSACTIONS = 3


def _statements(counter) -> int:
    return sum(1 for sql in counter.sql if sql[:3].strip().isdigit() and "BEGIN" not in sql[4:14])


def _buyer(*, lines: int):
    checkout = make_checkout(has_account_terms=True, credit_limit="1000000.00")
    if not TaxRate.objects.filter(country="US", region="IL").exists():
        make_tax_rate(country="US", region="IL", rate_percent="6.25")
    skus = [checkout.variant.sku] + [make_product(price="2.50", stock=100).variants.get().sku for _ in range(lines - 1)]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=checkout.user)}")
    return checkout, skus, client


def _checkout(client, checkout, skus, *, kind):
    body = {
        "lines": [{"sku": sku, "quantity": 2} for sku in skus],
        "shipping_address": {"id": checkout.address.public_id},
        "shipping_method": checkout.shipping_method.code,
        "payment": {"kind": kind, "token": "tok_approve" if kind == "card" else ""},
    }
    return client.post(
        "/api/v1/checkout", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )


@pytest.mark.parametrize("lines", [1, 10])
@pytest.mark.parametrize(("kind", "status"), [("card", OrderStatus.PAID), ("account", OrderStatus.ON_ACCOUNT)])
def test_one_api_checkout_stays_within_the_statement_and_transaction_budget(kind, status, lines):
    # given a buyer whose first checkout warmed what a running server has warm (its token used this minute)
    checkout, skus, client = _buyer(lines=lines)
    assert _checkout(client, checkout, skus, kind=kind).status_code == 201

    # when it checks out again
    with counting() as counter:
        response = _checkout(client, checkout, skus, kind=kind)

    # then the order is placed in at most 20 statements and 3 transactions, whatever the number of lines
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == status and len(body["lines"]) == lines
    assert _statements(counter) <= MAX_STATEMENTS, counter.report()
    assert counter.transactions <= MAX_TRANSACTIONS, counter.report()
    # and the answer, built without reading the order back, is what reading it back gives
    order = Order.objects.get(public_id=body["public_id"])
    assert [e["kind"] for e in body["events"]] == list(order.events.values_list("kind", flat=True))
    assert body["placed_at"] is not None and body["number"] == order.number_display


def test_the_same_checkout_with_ten_lines_costs_what_one_line_costs():
    counts = {}
    for lines in (1, 10):
        checkout, skus, client = _buyer(lines=lines)
        _checkout(client, checkout, skus, kind="card")
        with counting() as counter:
            assert _checkout(client, checkout, skus, kind="card").status_code == 201
        counts[lines] = (_statements(counter), counter.transactions)
    assert counts[10] == counts[1]


def test_a_replay_of_the_key_answers_again_without_placing_anything():
    checkout, skus, client = _buyer(lines=1)
    body = {
        "lines": [{"sku": skus[0], "quantity": 1}],
        "shipping_address": {"id": checkout.address.public_id},
        "shipping_method": checkout.shipping_method.code,
        "payment": {"kind": "card", "token": "tok_approve"},
    }

    def post():
        return client.post(
            "/api/v1/checkout", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
        )

    first = post()
    with counting() as counter:
        again = post()
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    # the claim met the key and rolled back: nothing was written
    assert not any(
        sql.split(" ", 2)[-1].startswith(("INSERT", "UPDATE", "DELETE")) for sql in counter.sql if "--" not in sql[:3]
    ), counter.report()
