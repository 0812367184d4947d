import pytest
from hypothesis import given
from hypothesis import strategies as st

from autosales.core.errors import DomainError
from autosales.customers.addresses import AddressInvalid, address_clean, phone_clean, postal_code_clean

VALID = {
    "name": "Ada Lovelace",
    "line1": "12 Analytical Row",
    "city": "Springfield",
    "region": "il",
    "postal_code": "62701",
    "country": "US",
}


@pytest.mark.parametrize(
    ("country", "typed", "expected"),
    [
        ("US", "62701", "62701"),
        ("US", " 62701-1234 ", "62701-1234"),
        ("CA", "k1a0b1", "K1A 0B1"),
        ("CA", "K1A 0B1", "K1A 0B1"),
        ("GB", "sw1a1aa", "SW1A 1AA"),
        ("GB", "M1 1AE", "M1 1AE"),
        ("DE", "10115", "10115"),
        ("FR", "75008", "75008"),
        ("NL", "1012ab", "1012 AB"),
        ("BR", "01310-100", "01310-100"),
        ("IE", "D02 X285", "D02 X285"),
    ],
)
def test_postal_code_clean_accepts_and_normalizes_the_country_format(country, typed, expected):
    assert postal_code_clean(country=country, postal_code=typed) == expected


@pytest.mark.parametrize(
    ("country", "typed"),
    [
        ("US", "6270"),
        ("US", "62701-12"),
        ("US", "ABCDE"),
        ("CA", "12345"),
        ("CA", "D1A 0B1"),  # D is not used as a first letter
        ("GB", "12345"),
        ("DE", "1011"),
        ("DE", "101155"),
        ("FR", "7500"),
        ("NL", "0123 AB"),  # no leading zero
        ("NL", "1234 SS"),  # SS is not issued
        ("BR", "!"),
        ("BR", "1"),
        ("BR", "12345678901"),
    ],
)
def test_postal_code_clean_rejects_codes_of_the_wrong_shape_naming_the_field(country, typed):
    with pytest.raises(DomainError) as raised:
        postal_code_clean(country=country, postal_code=typed)
    assert raised.value.field == "postal_code"
    assert raised.value.code == "postal_code_invalid"


def test_postal_code_clean_requires_a_code():
    with pytest.raises(DomainError) as raised:
        postal_code_clean(country="US", postal_code="  ")
    assert (raised.value.field, raised.value.code) == ("postal_code", "required")


@given(st.text(max_size=30))
def test_postal_code_clean_either_returns_a_short_code_or_names_the_field(text):
    try:
        code = postal_code_clean(country="ZA", postal_code=text)
    except DomainError as exc:
        assert exc.field == "postal_code"
    else:
        assert 2 <= len(code) <= 10
        assert code == code.strip().upper()


def test_address_clean_trims_and_normalizes():
    # given an address typed with stray spaces and lower case
    fields = {**VALID, "name": "  Ada   Lovelace ", "country": "us"}

    # when it is cleaned
    cleaned = address_clean(fields=fields)

    # then it is ready to save
    assert cleaned["name"] == "Ada Lovelace"
    assert cleaned["country"] == "US"
    assert cleaned["region"] == "IL"
    assert cleaned["line2"] == ""


def test_address_clean_reports_every_field_at_fault():
    # given an address missing its recipient and city, with a bad postal code and phone
    fields = {**VALID, "name": "", "city": " ", "postal_code": "1", "phone": "call me"}

    # when it is cleaned
    with pytest.raises(AddressInvalid) as raised:
        address_clean(fields=fields)

    # then each field at fault is named with its reason
    by_field = {e.field: e.code for e in raised.value.errors}
    assert by_field == {
        "name": "required",
        "city": "required",
        "postal_code": "postal_code_invalid",
        "phone": "phone_invalid",
    }


def test_address_clean_requires_a_state_for_us_and_canada():
    with pytest.raises(AddressInvalid) as raised:
        address_clean(fields={**VALID, "region": ""})
    assert [(e.field, e.code) for e in raised.value.errors] == [("region", "region_required")]
    cleaned = address_clean(fields={**VALID, "country": "DE", "region": "", "postal_code": "10115"})
    assert cleaned["region"] == ""


def test_address_clean_rejects_an_unknown_country():
    with pytest.raises(AddressInvalid) as raised:
        address_clean(fields={**VALID, "country": "XX"})
    assert [(e.field, e.code) for e in raised.value.errors] == [("country", "country_invalid")]


def test_address_clean_rejects_fields_too_long():
    with pytest.raises(AddressInvalid) as raised:
        address_clean(fields={**VALID, "line1": "x" * 201})
    assert [(e.field, e.code) for e in raised.value.errors] == [("line1", "too_long")]


@pytest.mark.parametrize("typed", ["+1 (217) 555-0100", "0049 30 1234567", "217.555.0100"])
def test_phone_clean_accepts_phone_numbers(typed):
    assert phone_clean(phone=typed) == typed


@pytest.mark.parametrize("typed", ["12345", "+1 217 555 0100 99999 1", "555-CALL-NOW", "217; DROP"])
def test_phone_clean_rejects_what_is_not_a_phone_number(typed):
    with pytest.raises(DomainError) as raised:
        phone_clean(phone=typed)
    assert raised.value.field == "phone"


def test_phone_clean_keeps_an_empty_phone_empty():
    assert phone_clean(phone="  ") == ""
