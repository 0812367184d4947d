import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from autosales.customers.models import Membership, Organization
from tests.factories import make_address, make_invitation, make_member, make_organization, make_staff, make_user

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:customers_organization_changelist")


def _change_url(organization):
    return reverse("admin:customers_organization_change", args=[organization.pk])


def test_a_manager_searches_organizations_by_name_tax_id_and_member_email(client):
    client.force_login(make_staff(group="manager"))
    acme = make_organization(name="Acme Lighting", tax_id="DE123456789")
    make_member(organization=acme, email="buyer@acme.test")
    make_organization(name="Other")

    for term in ["acme", "DE1234", "buyer@acme"]:
        response = client.get(CHANGELIST, {"q": term})
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == [acme]


def test_a_manager_filters_organizations(client):
    salesperson = make_staff(group="salesperson")
    client.force_login(make_staff(group="manager"))
    on_hold = make_organization(credit_hold=True, has_account_terms=True, salesperson=salesperson)
    make_organization(kind=Organization.Kind.PRIVATE)
    for params in [
        {"credit_hold__exact": "1"},
        {"has_account_terms__exact": "1"},
        {"salesperson__id__exact": salesperson.pk},
    ]:
        response = client.get(CHANGELIST, params)
        assert list(response.context["cl"].result_list) == [on_hold]
    response = client.get(CHANGELIST, {"kind__exact": "private"})
    assert [o.kind for o in response.context["cl"].result_list] == ["private"]


def test_the_organization_list_uses_the_same_queries_for_3_or_30_rows(client):
    client.force_login(make_staff(group="manager"))
    salesperson = make_staff(group="salesperson")
    for _ in range(3):
        make_organization(salesperson=salesperson)
    with CaptureQueriesContext(connection) as few:
        client.get(CHANGELIST)
    for _ in range(27):
        make_organization(salesperson=make_staff())
    with CaptureQueriesContext(connection) as many:
        client.get(CHANGELIST)
    assert len(many) == len(few)


def test_a_manager_edits_an_organization_with_its_members_and_addresses(client):
    client.force_login(make_staff(group="manager"))
    organization = make_organization(name="Acme")
    make_member(organization=organization, first_name="Bob")
    make_address(organization=organization, line1="1 Dock Road")
    page = client.get(_change_url(organization)).content.decode()
    assert "1 Dock Road" in page
    assert "memberships-TOTAL_FORMS" in page
    assert "addresses-TOTAL_FORMS" in page


def _post_change(client, organization, **changes):
    data = {
        "name": organization.name,
        "kind": organization.kind,
        "email": "",
        "phone": "",
        "tax_id": "",
        "timezone": organization.timezone,
        "currency": organization.currency,
        "payment_terms_days": 30,
        "credit_limit": "0",
        "salesperson": organization.salesperson_id or "",
        "invoicing": organization.invoicing,
        "terms_basis": organization.terms_basis,
        "notes": "",
        "memberships-TOTAL_FORMS": 0,
        "memberships-INITIAL_FORMS": 0,
        "addresses-TOTAL_FORMS": 0,
        "addresses-INITIAL_FORMS": 0,
        **changes,
    }
    return client.post(_change_url(organization), data)


def test_a_salesperson_changes_own_accounts_and_only_views_others(client):
    salesperson = make_staff(group="salesperson")
    client.force_login(salesperson)
    theirs = make_organization(name="Mine", salesperson=salesperson)
    someone_elses = make_organization(name="Not mine", salesperson=make_staff(group="salesperson"))

    # both are in the list
    assert set(client.get(CHANGELIST).context["cl"].result_list) == {theirs, someone_elses}

    # they change their own
    assert _post_change(client, theirs, notes="Called, wants a quote").status_code == 302
    theirs.refresh_from_db()
    assert theirs.notes == "Called, wants a quote"

    # and only view someone else's
    page = client.get(_change_url(someone_elses))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert _post_change(client, someone_elses, notes="sneaky").status_code == 403
    someone_elses.refresh_from_db()
    assert someone_elses.notes == ""


def test_fulfillment_cannot_see_customer_accounts(client):
    client.force_login(make_staff(group="fulfillment"))
    assert client.get(CHANGELIST).status_code == 403


def test_a_manager_cannot_make_anyone_superuser_or_touch_a_superuser(client):
    manager = make_staff(group="manager")
    client.force_login(manager)
    user = make_user()
    superuser = make_user(is_staff=True, is_superuser=True)

    page = client.get(reverse("admin:customers_user_change", args=[user.pk]))
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()
    assert 'name="groups"' in page.content.decode()

    response = client.get(reverse("admin:customers_user_change", args=[superuser.pk]))
    assert not response.context["has_change_permission"]


def test_the_user_admin_lists_memberships_inline(client):
    client.force_login(make_staff(group="manager"))
    user = make_member(organization=make_organization(name="Acme"), role=Membership.Role.ADMIN)
    page = client.get(reverse("admin:customers_user_change", args=[user.pk])).content.decode()
    assert "memberships-TOTAL_FORMS" in page
    response = client.get(reverse("admin:customers_user_changelist"), {"q": "Acme"})
    assert list(response.context["cl"].result_list) == [user]


def test_invitations_are_listed_and_searchable(client):
    client.force_login(make_staff(group="manager"))
    invitation = make_invitation(organization=make_organization(name="Acme"), email="new@example.com")
    make_invitation(email="other@example.com")
    response = client.get(reverse("admin:customers_invitation_changelist"), {"q": "acme"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [invitation]
    assert client.get(reverse("admin:customers_invitation_add")).status_code == 403
