"""The quick-order page, its JSON check and the product page's variant table: lines checked, all added or none,
bad input a 400 naming the line, a fixed number of queries whatever the number of lines."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.cart.models import CartLine
from tests.factories import make_checkout, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(client):
    checkout = make_checkout(stock=50)
    client.force_login(checkout.user)
    return checkout


def _cart(checkout) -> dict:
    return dict(CartLine.objects.filter(cart__user=checkout.user).values_list("variant__sku", "quantity"))


def test_pasted_lines_go_into_the_cart(client, buyer):
    other = make_product(stock=20).variants.get()
    response = client.post("/quick-order/", {"lines": f"{buyer.variant.sku} 3\n{other.sku}\t5\n"})
    assert response.status_code == 302 and response["Location"] == "/cart/"
    assert _cart(buyer) == {buyer.variant.sku: 3, other.sku: 5}


def test_a_bad_line_is_a_400_naming_it_and_nothing_is_added(client, buyer):
    response = client.post("/quick-order/", {"lines": f"{buyer.variant.sku} 3\nNOPE-1 2\n{buyer.variant.sku} x\n"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was added: 2 of 3 lines need fixing" in html
    assert "Line 2: SKU: no product has the SKU &#x27;NOPE-1&#x27;." in html
    assert "Line 3: Quantity: &#x27;x&#x27; is not a whole number." in html
    assert "Add only the 1 good line" in html
    assert _cart(buyer) == {}

    # and the buyer may add the good line alone
    response = client.post("/quick-order/", {"lines": f"{buyer.variant.sku} 3\nNOPE-1 2\n", "skip_invalid": "1"})
    assert response.status_code == 302 and _cart(buyer) == {buyer.variant.sku: 3}


def test_an_uploaded_csv_file_is_read_like_pasted_lines(client, buyer):
    upload = SimpleUploadedFile("order.csv", f"SKU,Quantity\n{buyer.variant.sku},4\n".encode(), "text/csv")
    response = client.post("/quick-order/", {"lines": "", "file": upload})
    assert response.status_code == 302 and _cart(buyer) == {buyer.variant.sku: 4}


def test_a_file_that_is_no_text_is_a_400_naming_the_file(client, buyer):
    upload = SimpleUploadedFile("order.csv", b"\x00\x01binary", "text/csv")
    response = client.post("/quick-order/", {"file": upload})
    assert response.status_code == 400 and "File: not a CSV text file." in response.content.decode()


def test_the_json_check_answers_per_line_and_changes_nothing(client, buyer):
    response = client.post("/quick-order/check/", {"lines": f"{buyer.variant.sku} 60\n{buyer.variant.sku} 2"})
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False
    assert body["lines"][0]["error"] == f"Stock: only 50 of {buyer.variant.sku} available."
    assert body["lines"][1]["ok"] is True and body["lines"][1]["unit_price"]
    assert _cart(buyer) == {}
    assert client.post("/quick-order/check/", {"lines": f"{buyer.variant.sku} 2"}).json()["ok"] is True


def test_a_guest_may_quick_order_too(client):
    variant = make_product(stock=5).variants.get()
    assert client.post("/quick-order/", {"lines": f"{variant.sku} 2"}).status_code == 302
    assert CartLine.objects.get(cart__user__isnull=True).quantity == 2


def _quick_order_queries(client, buyer, count: int) -> int:
    lines = [buyer.variant.sku + " 1"] + [f"{make_product(stock=50).variants.get().sku} 2" for _ in range(count - 1)]
    CartLine.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/quick-order/", {"lines": "\n".join(lines)})
    assert response.status_code == 302, response.content[:500]
    return len(queries)


def test_quick_order_takes_the_same_queries_for_5_and_50_lines(client, buyer):
    # given a buyer whose cart exists (the first quick order made it)
    _quick_order_queries(client, buyer, 1)
    # then adding 5 lines or 50 takes the same queries, within the page budget
    small = _quick_order_queries(client, buyer, 5)
    assert _quick_order_queries(client, buyer, 50) == small
    assert small <= 12


def test_the_variant_table_adds_several_variants_in_one_submit(client, buyer):
    product = make_product(variants=3, stock=10)
    skus = list(product.variants.values_list("sku", flat=True))
    page = client.get(f"/p/{product.slug}/").content.decode()
    assert "Order several variants" in page and page.count('name="quantity"') == 3

    response = client.post("/cart/add-many/", {"sku": skus, "quantity": ["2", "", "5"]})
    assert response.status_code == 302
    assert _cart(buyer) == {skus[0]: 2, skus[2]: 5}


def test_the_variant_table_refuses_all_when_one_row_is_wrong(client, buyer):
    product = make_product(variants=2, stock=10)
    skus = list(product.variants.values_list("sku", flat=True))
    response = client.post("/cart/add-many/", {"sku": skus, "quantity": ["2", "11"]})
    assert response.status_code == 400
    assert f"Stock: only 10 of {skus[1]} available." in response.content.decode()
    assert _cart(buyer) == {}
    assert client.post("/cart/add-many/", {"sku": skus, "quantity": ["", ""]}).status_code == 400
    assert client.post("/cart/add-many/", {"sku": skus, "quantity": ["1"]}).status_code == 400


def test_a_guest_sending_only_bad_lines_gets_no_cart(client):
    from autosales.cart.models import Cart

    assert client.post("/quick-order/", {"lines": "NOPE-1 2"}).status_code == 400
    assert client.post("/cart/add-many/", {"sku": ["NOPE-1"], "quantity": ["2"]}).status_code == 400
    assert not Cart.objects.exists()
