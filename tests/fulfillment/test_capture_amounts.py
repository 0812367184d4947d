"""The capture-at-shipment rule over any split of an order into shipments: each capture is its goods plus their
share of shipping and tax, never more than the authorization still holds, and the captures of an order
shipped in full add up to its total to the cent."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from autosales.core.money import Money
from autosales.fulfillment.capture import shipment_capture_amount
from autosales.orders.models import Order, OrderLine
from tests.suite_runs import once

cents = st.integers(min_value=1, max_value=100_000).map(lambda n: Decimal(n) / 100)


@once
@settings(max_examples=100, deadline=None)
@given(
    lines=st.lists(st.tuples(cents, st.integers(min_value=1, max_value=50)), min_size=1, max_size=4),
    shipping=st.integers(min_value=0, max_value=5_000).map(lambda n: Decimal(n) / 100),
    tax_rate=st.integers(min_value=0, max_value=1500),
    splits=st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=6),
)
def test_captures_add_up_to_the_total(lines, shipping, tax_rate, splits):
    subtotal = sum(price * quantity for price, quantity in lines)
    tax = ((subtotal + shipping) * tax_rate / 10_000).quantize(Decimal("0.01"))
    order = Order(currency="USD", subtotal=subtotal, shipping=shipping, tax=tax, total=subtotal + shipping + tax)
    order_lines = [
        OrderLine(pk=i + 1, unit_price=price, quantity=quantity) for i, (price, quantity) in enumerate(lines)
    ]
    remaining = {line.pk: line.quantity for line in order_lines}
    captured = Money.zero("USD")
    step = 0
    while any(remaining.values()):
        size = splits[step % len(splits)]
        step += 1
        shipped = []
        for line in order_lines:
            units = min(size, remaining[line.pk])
            if units:
                shipped.append((line, units))
                remaining[line.pk] -= units
        last = not any(remaining.values())
        amount = shipment_capture_amount(order=order, shipped=shipped, captured_before=captured, last=last)
        goods = sum((Money(line.unit_price, "USD") * units for line, units in shipped), Money.zero("USD"))
        assert amount.amount >= 0
        assert captured + amount <= order.total_money
        if not last:
            assert amount >= min(goods, order.total_money - captured)
        captured = captured + amount
    assert captured == order.total_money
