import pytest

from autosales.customers.addresses import AddressInvalid
from autosales.customers.models import Address
from autosales.customers.selectors import addresses_for_organization, default_address_for
from autosales.customers.services import address_create, address_delete, address_set_default, address_update
from tests.factories import make_address, make_organization

pytestmark = pytest.mark.django_db

FIELDS = {
    "label": "Warehouse",
    "name": "Receiving",
    "line1": "1 Dock Road",
    "city": "Toronto",
    "region": "ON",
    "postal_code": "m5v3l9",
    "country": "CA",
}


def test_address_create_saves_the_cleaned_address_and_the_first_becomes_default():
    organization = make_organization()
    address = address_create(organization=organization, fields=FIELDS)
    assert address.postal_code == "M5V 3L9"
    assert address.is_default
    second = address_create(organization=organization, fields={**FIELDS, "label": "Shop"})
    assert not second.is_default


def test_address_create_as_default_takes_over_the_default():
    organization = make_organization()
    first = make_address(organization=organization, is_default=True)
    second = address_create(organization=organization, fields=FIELDS, make_default=True)
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    assert default_address_for(organization=organization) == second


def test_address_create_rejects_an_invalid_address_and_saves_nothing():
    organization = make_organization()
    with pytest.raises(AddressInvalid) as raised:
        address_create(organization=organization, fields={**FIELDS, "postal_code": "12345"})
    assert raised.value.field == "postal_code"
    assert not Address.objects.exists()


def test_address_update_changes_fields_and_can_make_it_default():
    organization = make_organization()
    default = make_address(organization=organization, is_default=True)
    other = make_address(organization=organization)
    address_update(address=other, fields={**FIELDS, "label": "New label"}, make_default=True)
    other.refresh_from_db()
    default.refresh_from_db()
    assert other.label == "New label" and other.is_default
    assert not default.is_default


def test_address_set_default_leaves_one_default():
    organization = make_organization()
    addresses = [make_address(organization=organization, is_default=(i == 0)) for i in range(3)]
    address_set_default(address=addresses[2])
    assert list(Address.objects.filter(organization=organization, is_default=True)) == [addresses[2]]


def test_address_delete_hands_the_default_to_the_next_address():
    organization = make_organization()
    default = make_address(organization=organization, is_default=True, label="A")
    remaining = make_address(organization=organization, label="B")
    address_delete(address=default)
    remaining.refresh_from_db()
    assert remaining.is_default
    assert list(addresses_for_organization(organization=organization)) == [remaining]


def test_addresses_for_organization_lists_only_that_organization_default_first():
    organization = make_organization()
    make_address(organization=make_organization())
    b = make_address(organization=organization, label="B")
    a = make_address(organization=organization, label="A")
    default = make_address(organization=organization, label="Z", is_default=True)
    assert list(addresses_for_organization(organization=organization)) == [default, a, b]
