"""The order state machine: legal moves write an event, illegal ones raise and change nothing."""

import pytest

from autosales.core.errors import Conflict
from autosales.orders.models import OrderEvent, OrderStatus
from autosales.orders.transitions import ALLOWED, order_transition
from tests.factories import make_checkout, place_test_order

pytestmark = pytest.mark.django_db

S = OrderStatus


def test_every_status_has_a_row_and_final_states_have_no_moves():
    assert set(ALLOWED) == set(S.values)
    assert ALLOWED[S.CANCELLED] == frozenset() and ALLOWED[S.REFUNDED] == frozenset()


def test_legal_moves_walk_an_account_order_to_delivered_with_one_event_each():
    checkout = make_checkout(has_account_terms=True, credit_limit=1000)
    order = place_test_order(checkout, kind="account")
    for to in (S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED):
        order_transition(order=order, to=to, actor=checkout.user)
        order.refresh_from_db()
        assert order.status == to
    moves = list(order.events.filter(kind=OrderEvent.Kind.STATUS_CHANGED).values_list("data__from", "data__to"))
    assert moves[-3:] == [
        ("on_account", "partially_shipped"),
        ("partially_shipped", "shipped"),
        ("shipped", "delivered"),
    ]


@pytest.mark.parametrize("to", [S.PLACED, S.PAID, S.PENDING_PAYMENT, S.DELIVERED])
def test_illegal_moves_raise_a_clear_error_and_change_nothing(to):
    checkout = make_checkout(has_account_terms=True, credit_limit=1000)
    order = place_test_order(checkout, kind="account")
    events = order.events.count()
    with pytest.raises(Conflict) as raised:
        order_transition(order=order, to=to, actor=None)
    assert raised.value.code == "order_illegal_transition"
    assert "on account order cannot become" in raised.value.message
    order.refresh_from_db()
    assert order.status == S.ON_ACCOUNT and order.events.count() == events


def test_a_cancelled_order_cannot_move_again():
    checkout = make_checkout()
    order = place_test_order(checkout)
    order_transition(order=order, to=S.CANCELLED, actor=None, reason="test")
    for to in S.values:
        with pytest.raises(Conflict):
            order_transition(order=order, to=to, actor=None)
