import pytest
from django.test import override_settings
from django.urls import reverse

from autosales.core.errors import DomainError, PermissionDenied
from autosales.customers.models import Membership, Organization
from autosales.customers.services import organization_time_zone_change
from tests.factories import make_member, make_organization, make_staff

pytestmark = pytest.mark.django_db


@override_settings(TIME_ZONE="Europe/Berlin")
def test_an_organization_without_a_zone_reads_the_shops():
    organization = make_organization()

    assert organization.timezone == ""
    assert organization.local_time_zone == "Europe/Berlin"


def test_an_organization_with_a_zone_reads_its_own():
    assert make_organization(timezone="Pacific/Auckland").local_time_zone == "Pacific/Auckland"


def test_an_account_admin_sets_and_clears_the_zone():
    organization = make_organization()
    admin = make_member(organization=organization, role=Membership.Role.ADMIN)

    organization_time_zone_change(organization=organization, time_zone="Pacific/Auckland", actor=admin)
    assert Organization.objects.get(pk=organization.pk).timezone == "Pacific/Auckland"

    organization_time_zone_change(organization=organization, time_zone="", actor=admin)
    assert Organization.objects.get(pk=organization.pk).timezone == ""


def test_an_unknown_zone_is_refused_naming_the_field_and_changes_nothing():
    organization = make_organization(timezone="America/Chicago")
    admin = make_member(organization=organization, role=Membership.Role.ADMIN)

    with pytest.raises(DomainError) as refused:
        organization_time_zone_change(organization=organization, time_zone="Mars/Olympus_Mons", actor=admin)

    assert refused.value.field == "timezone"
    assert "Unknown time zone 'Mars/Olympus_Mons'" in refused.value.message
    assert Organization.objects.get(pk=organization.pk).timezone == "America/Chicago"


def test_a_buyer_may_not_change_the_zone():
    organization = make_organization()
    buyer = make_member(organization=organization)

    with pytest.raises(PermissionDenied):
        organization_time_zone_change(organization=organization, time_zone="Pacific/Auckland", actor=buyer)


def test_the_admin_refuses_an_unknown_zone_on_its_field(client):
    client.force_login(make_staff(is_superuser=True))
    organization = make_organization(name="Kiwi Lights", timezone="Pacific/Auckland")
    url = reverse("admin:customers_organization_change", args=[organization.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {
            "timezone": "Mars/Olympus_Mons",
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
            "addresses-TOTAL_FORMS": 0,
            "addresses-INITIAL_FORMS": 0,
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Unknown time zone" in str(response.context["adminform"].form.errors["timezone"])
    assert Organization.objects.get(pk=organization.pk).timezone == "Pacific/Auckland"
