import pytest
from django.urls import reverse

from autosales.customers.models import Membership, Organization
from tests.factories import make_member, make_organization

pytestmark = pytest.mark.django_db

ORGANIZATION = reverse("storefront:organization")
TIME_ZONE = reverse("storefront:organization_time_zone")


def test_the_account_admin_sets_the_organization_zone(client):
    organization = make_organization()
    client.force_login(make_member(organization=organization, role=Membership.Role.ADMIN))
    assert f'action="{TIME_ZONE}"' in client.get(ORGANIZATION).content.decode()

    response = client.post(TIME_ZONE, {"timezone": "Pacific/Auckland"})

    assert response.status_code == 302
    assert Organization.objects.get(pk=organization.pk).timezone == "Pacific/Auckland"


def test_an_unknown_zone_is_shown_on_the_field_and_changes_nothing(client):
    organization = make_organization(timezone="America/Chicago")
    client.force_login(make_member(organization=organization, role=Membership.Role.ADMIN))

    response = client.post(TIME_ZONE, {"timezone": "Mars/Olympus_Mons"})

    assert response.status_code == 400
    assert response.context["time_zone_form"].errors["timezone"] == [
        "Unknown time zone 'Mars/Olympus_Mons': choose one from the list."
    ]
    assert Organization.objects.get(pk=organization.pk).timezone == "America/Chicago"


def test_a_buyer_sees_the_zone_but_cannot_change_it(client):
    organization = make_organization(timezone="Pacific/Auckland")
    client.force_login(make_member(organization=organization))

    assert "shown in Pacific/Auckland time" in client.get(ORGANIZATION).content.decode()
    assert client.post(TIME_ZONE, {"timezone": "UTC"}).status_code == 403
    assert Organization.objects.get(pk=organization.pk).timezone == "Pacific/Auckland"
