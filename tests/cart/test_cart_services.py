import pytest

from autosales.cart.models import Cart, CartLine
from autosales.cart.services import (
    MAX_LINE_QUANTITY,
    cart_add,
    cart_clear,
    cart_get_or_create,
    cart_merge,
    cart_remove,
    cart_set_quantity,
)
from autosales.core.errors import DomainError, NotFound
from tests.factories import make_member, make_organization, make_product

pytestmark = pytest.mark.django_db


def test_cart_add_creates_one_line_per_variant_and_adds_up():
    # given a guest cart and a variant
    cart = Cart.objects.create()
    variant = make_product().variants.get()
    # when the same variant is added twice
    cart_add(cart=cart, variant=variant, quantity=2)
    line = cart_add(cart=cart, variant=variant, quantity=3)
    # then there is one line with both quantities
    assert line.quantity == 5
    assert list(CartLine.objects.filter(cart=cart).values_list("variant_id", "quantity")) == [(variant.id, 5)]


@pytest.mark.parametrize("quantity", [0, -1, MAX_LINE_QUANTITY + 1, "3", 1.5, True])
def test_cart_add_refuses_a_bad_quantity_and_changes_nothing(quantity):
    cart = Cart.objects.create()
    variant = make_product().variants.get()
    with pytest.raises(DomainError) as error:
        cart_add(cart=cart, variant=variant, quantity=quantity)
    assert error.value.field == "quantity"
    assert not CartLine.objects.exists()


def test_cart_add_refuses_to_pass_the_line_limit_on_a_second_add():
    cart = Cart.objects.create()
    variant = make_product().variants.get()
    cart_add(cart=cart, variant=variant, quantity=MAX_LINE_QUANTITY)
    with pytest.raises(DomainError) as error:
        cart_add(cart=cart, variant=variant, quantity=1)
    assert error.value.code == "quantity_too_large"
    assert CartLine.objects.get().quantity == MAX_LINE_QUANTITY


def test_cart_add_refuses_a_variant_that_is_not_sold_any_more():
    cart = Cart.objects.create()
    product = make_product(variants=2)
    retired, inactive_product_variant = product.variants.all()
    retired.is_active = False
    retired.save()
    with pytest.raises(DomainError) as error:
        cart_add(cart=cart, variant=retired, quantity=1)
    assert error.value.code == "variant_not_for_sale"
    product.is_active = False
    product.save()
    inactive_product_variant.refresh_from_db()
    with pytest.raises(DomainError):
        cart_add(cart=cart, variant=inactive_product_variant, quantity=1)
    assert not CartLine.objects.exists()


def test_cart_set_quantity_changes_the_line_and_zero_removes_it():
    cart = Cart.objects.create()
    variant = make_product().variants.get()
    cart_add(cart=cart, variant=variant, quantity=2)
    assert cart_set_quantity(cart=cart, variant=variant, quantity=7).quantity == 7
    assert CartLine.objects.get().quantity == 7
    assert cart_set_quantity(cart=cart, variant=variant, quantity=0) is None
    assert not CartLine.objects.exists()


def test_cart_set_quantity_refuses_a_negative_quantity():
    cart = Cart.objects.create()
    variant = make_product().variants.get()
    cart_add(cart=cart, variant=variant, quantity=2)
    with pytest.raises(DomainError) as error:
        cart_set_quantity(cart=cart, variant=variant, quantity=-1)
    assert error.value.field == "quantity"
    assert CartLine.objects.get().quantity == 2


def test_cart_remove_removes_the_line_and_says_when_there_is_none():
    cart = Cart.objects.create()
    variant = make_product().variants.get()
    cart_add(cart=cart, variant=variant, quantity=1)
    cart_remove(cart=cart, variant=variant)
    assert not CartLine.objects.exists()
    with pytest.raises(NotFound) as error:
        cart_remove(cart=cart, variant=variant)
    assert error.value.field == "sku"


def test_cart_merge_adds_the_guest_lines_to_the_account_cart_and_deletes_the_guest_cart():
    # given a guest cart with two variants and an account cart holding one of them
    user = make_member()
    organization = user.memberships.get().organization
    first, second = make_product(variants=2).variants.all()
    guest = Cart.objects.create()
    cart_add(cart=guest, variant=first, quantity=2)
    cart_add(cart=guest, variant=second, quantity=1)
    account = cart_get_or_create(user=user, organization=organization)
    cart_add(cart=account, variant=first, quantity=3)
    # when they merge
    merged = cart_merge(source=guest, target=account)
    # then the account cart holds the sum and the guest cart is gone
    assert merged.pk == account.pk
    assert dict(account.lines.values_list("variant_id", "quantity")) == {first.id: 5, second.id: 1}
    assert not Cart.objects.filter(pk=guest.pk).exists()


def test_cart_merge_caps_a_line_at_the_limit():
    user = make_member()
    variant = make_product().variants.get()
    guest = Cart.objects.create()
    cart_add(cart=guest, variant=variant, quantity=MAX_LINE_QUANTITY)
    account = cart_get_or_create(user=user)
    cart_add(cart=account, variant=variant, quantity=5)
    cart_merge(source=guest, target=account)
    assert account.lines.get().quantity == MAX_LINE_QUANTITY


def test_cart_get_or_create_keeps_one_cart_per_user_and_organization():
    user = make_member()
    organization = user.memberships.get().organization
    other = make_organization()
    assert cart_get_or_create(user=user, organization=organization) == cart_get_or_create(
        user=user, organization=organization
    )
    assert cart_get_or_create(user=user, organization=other) != cart_get_or_create(user=user, organization=organization)
    assert cart_get_or_create(user=user) == cart_get_or_create(user=user)
    assert Cart.objects.filter(user=user).count() == 3


def test_cart_clear_removes_only_what_was_ordered():
    cart = Cart.objects.create()
    first, second = make_product(variants=2).variants.all()
    cart_add(cart=cart, variant=first, quantity=1)
    cart_add(cart=cart, variant=second, quantity=1)
    cart_clear(cart=cart, variant_ids=[first.id])
    assert list(cart.lines.values_list("variant_id", flat=True)) == [second.id]
    cart_clear(cart=cart)
    assert not cart.lines.exists()
