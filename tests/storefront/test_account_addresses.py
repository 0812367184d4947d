import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from autosales.customers.models import Address
from tests.factories import make_address, make_member, make_organization, make_user

pytestmark = pytest.mark.django_db

VALID = {
    "label": "Head office",
    "name": "Receiving",
    "company": "Acme",
    "line1": "1 Canal Street",
    "line2": "",
    "city": "Amsterdam",
    "region": "",
    "postal_code": "1012ab",
    "country": "NL",
    "phone": "+31 20 123 4567",
}


@pytest.fixture
def organization():
    return make_organization()


@pytest.fixture
def member(client, organization):
    user = make_member(organization=organization)
    client.force_login(user)
    return user


def test_the_address_book_needs_a_signed_in_user(client):
    response = client.get(reverse("storefront:addresses"))
    assert response.status_code == 302


def test_a_member_adds_an_address_which_becomes_the_default(client, member, organization):
    response = client.post(reverse("storefront:address_add"), VALID)
    assert response.status_code == 302
    address = Address.objects.get(organization=organization)
    assert address.postal_code == "1012 AB"
    assert address.is_default
    page = client.get(reverse("storefront:addresses")).content.decode()
    assert "1 Canal Street" in page
    assert reverse("storefront:address_edit", args=[address.public_id]) in page


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"name": ""}, {"name"}),
        ({"line1": "", "city": ""}, {"line1", "city"}),
        ({"postal_code": "12345"}, {"postal_code"}),
        ({"country": "US", "postal_code": "62701", "region": ""}, {"region"}),
        ({"country": "ZZ"}, {"country"}),
        ({"phone": "ring ring"}, {"phone"}),
    ],
)
def test_a_bad_address_is_a_400_naming_each_field_and_saves_nothing(client, member, changes, fields):
    response = client.post(reverse("storefront:address_add"), {**VALID, **changes})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == fields
    assert not Address.objects.exists()


def test_a_member_edits_an_address_and_makes_it_default(client, member, organization):
    make_address(organization=organization, is_default=True)
    address = make_address(organization=organization)
    url = reverse("storefront:address_edit", args=[address.public_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {**VALID, "label": "Renamed", "make_default": "on"})
    assert response.status_code == 302
    address.refresh_from_db()
    assert (address.label, address.is_default) == ("Renamed", True)
    assert Address.objects.filter(organization=organization, is_default=True).count() == 1


def test_a_member_sets_the_default_and_deletes_an_address(client, member, organization):
    first = make_address(organization=organization, is_default=True)
    second = make_address(organization=organization)
    assert client.post(reverse("storefront:address_default", args=[second.public_id])).status_code == 302
    second.refresh_from_db()
    assert second.is_default

    assert client.get(reverse("storefront:address_delete", args=[first.public_id])).status_code == 200
    assert client.post(reverse("storefront:address_delete", args=[first.public_id])).status_code == 302
    assert list(Address.objects.filter(organization=organization)) == [second]


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("address_edit", "get"),
        ("address_edit", "post"),
        ("address_delete", "get"),
        ("address_delete", "post"),
        ("address_default", "post"),
    ],
)
def test_another_organizations_address_is_a_404_and_unchanged(client, member, name, method):
    # given an address of another organization
    theirs = make_address(organization=make_organization(), label="Theirs", is_default=True)

    # when a member of this organization reaches for it
    response = getattr(client, method)(reverse(f"storefront:{name}", args=[theirs.public_id]), VALID)

    # then it does not exist for them and stays as it was
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.label == "Theirs"


def test_a_user_without_organization_gets_a_404(client):
    client.force_login(make_user())
    response = client.get(reverse("storefront:addresses"))
    assert response.status_code == 404
    assert "You are not part of a customer account" in response.content.decode()
    assert client.get(reverse("storefront:organization")).status_code == 404
    assert client.post(reverse("storefront:address_add"), VALID).status_code == 404


def test_the_address_book_uses_the_same_queries_for_3_or_30_addresses(client, member, organization):
    for _ in range(3):
        make_address(organization=organization)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("storefront:addresses")).status_code == 200
    for _ in range(27):
        make_address(organization=organization)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("storefront:addresses"))
    assert response.content.decode().count('id="address-') == 30
    assert len(many) == len(few)
