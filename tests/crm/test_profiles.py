"""Profiles, contacts and logged activities: phones in E.164, clear field errors, nothing changed on bad input."""

import pytest

from autosales.core.errors import DomainError
from autosales.crm.models import Activity, Contact, Profile
from autosales.crm.phones import phone_display, phone_normalize
from autosales.crm.services import activity_log, contact_create, profile_share, profile_update, prospect_create
from autosales.customers.models import Organization
from tests.factories import make_member, make_organization, make_salesperson
from tests.suite_runs import once

pytestmark = pytest.mark.django_db


@once
@pytest.mark.parametrize(
    "written, stored",
    [("(312) 555-0100", "+13125550100"), ("+44 20 7946 0958", "+442079460958"), ("312.555.0100", "+13125550100")],
)
def test_phone_numbers_are_stored_in_e164_and_shown_formatted(written, stored):
    assert phone_normalize(written, field="phone") == stored
    assert phone_display(stored).startswith("+")


@once
@pytest.mark.parametrize("written", ["12", "555-CALL-ME-MAYBE-NOW", "+1 000 000 0000"])
def test_a_number_that_is_not_one_names_the_field(written):
    with pytest.raises(DomainError) as error:
        phone_normalize(written, field="mobile")
    assert error.value.field == "mobile" and error.value.code == "phone_invalid"


def test_a_salesperson_fills_in_the_profile_of_their_account():
    sales = make_salesperson()
    organization = make_organization(salesperson=sales)

    profile = profile_update(
        organization=organization,
        actor=sales,
        segment="Hospitality",
        industry="Hotels",
        website="harborview.example",
        phone="(312) 555-0100",
        notes="Renovating two hotels in 2027.",
        tags=["key account", "LED retrofit", "key account"],
    )

    profile.refresh_from_db()
    organization.refresh_from_db()
    assert profile.website == "https://harborview.example" and profile.phone == "+13125550100"
    assert sorted(profile.tags.values_list("name", flat=True)) == ["LED retrofit", "key account"]
    assert organization.notes == "Renovating two hotels in 2027."


def test_a_bad_phone_changes_nothing():
    sales = make_salesperson()
    organization = make_organization(salesperson=sales)
    profile_update(organization=organization, actor=sales, industry="Schools")

    with pytest.raises(DomainError) as error:
        profile_update(organization=organization, actor=sales, industry="Hotels", phone="123")

    assert error.value.field == "phone"
    assert Profile.objects.get(organization=organization).industry == "Schools"


def test_a_prospect_is_an_organization_without_members_or_orders():
    sales = make_salesperson()

    prospect = prospect_create(actor=sales, name="Lakeview Marina", website="lakeview.example")

    assert Organization.objects.get(pk=prospect.pk).salesperson == sales
    assert not prospect.memberships.exists() and not prospect.orders.exists()
    assert prospect.crm_profile.website == "https://lakeview.example"


def test_key_people_with_roles_and_an_optional_login():
    sales = make_salesperson()
    organization = make_organization(salesperson=sales)
    buyer = make_member(organization=organization)

    with_login = contact_create(
        organization=organization,
        actor=sales,
        name="Elena Garcia",
        title="Purchasing manager",
        roles=["purchaser", "decision_maker"],
        email="Elena@Harbor.example",
        phone="312 555 0101",
        preferred_channel="phone",
        user=buyer,
    )
    without = contact_create(organization=organization, actor=sales, name="Dock supervisor", roles="receiving")

    assert with_login.has_login and with_login.email == "elena@harbor.example" and with_login.phone == "+13125550101"
    assert with_login.role_labels == ["Decision maker", "Purchaser"]
    assert not without.has_login and without.roles == ["receiving"]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"name": ""}, "name"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "roles": ["chief"]}, "roles"),
        ({"name": "A", "preferred_channel": "pigeon"}, "preferred_channel"),
        ({"name": "A", "mobile": "99"}, "mobile"),
        ({"name": "A\x00"}, "name"),
    ],
)
def test_a_bad_contact_names_the_field_and_saves_nothing(fields, field):
    sales = make_salesperson()
    organization = make_organization(salesperson=sales)

    with pytest.raises(DomainError) as error:
        contact_create(organization=organization, actor=sales, **fields)

    assert error.value.field == field and error.value.status == 400
    assert not Contact.objects.exists()


def test_a_login_of_another_organization_cannot_be_a_contact():
    sales = make_salesperson()
    organization = make_organization(salesperson=sales)
    stranger = make_member()
    with pytest.raises(DomainError) as error:
        contact_create(organization=organization, actor=sales, name="X", user=stranger)
    assert error.value.field == "user"


def test_a_logged_call_keeps_direction_outcome_and_duration():
    sales = make_salesperson()
    organization = make_organization(salesperson=sales)
    contact = contact_create(organization=organization, actor=sales, name="Elena Garcia")

    call = activity_log(
        organization=organization,
        actor=sales,
        kind="call",
        contact=contact,
        subject="Reorder of A19 bulbs",
        direction="outbound",
        outcome="connected",
        duration_minutes=7,
    )

    assert (call.kind, call.direction, call.outcome, call.duration_minutes) == ("call", "outbound", "connected", 7)
    assert call.author == sales and not call.is_system


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"kind": "order", "subject": "x"}, "kind"),
        ({"kind": "call", "subject": "", "body": ""}, "subject"),
        ({"kind": "call", "subject": "x", "outcome": "great"}, "outcome"),
        ({"kind": "call", "subject": "x", "duration_minutes": 5000}, "duration_minutes"),
    ],
)
def test_a_bad_activity_names_the_field(fields, field):
    sales = make_salesperson()
    organization = make_organization(salesperson=sales)
    with pytest.raises(DomainError) as error:
        activity_log(organization=organization, actor=sales, **fields)
    assert error.value.field == field
    assert not Activity.objects.exists()


def test_sharing_is_decided_by_the_owner_only():
    owner, colleague, third = make_salesperson(), make_salesperson(), make_salesperson()
    organization = make_organization(salesperson=owner)

    profile_share(organization=organization, actor=owner, salespeople=[colleague])
    with pytest.raises(DomainError):
        profile_share(organization=organization, actor=colleague, salespeople=[colleague, third])

    assert list(organization.crm_profile.shared_with.all()) == [colleague]
