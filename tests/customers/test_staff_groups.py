import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from autosales.customers.permissions import organization_change_allowed, staff_permission_required
from tests.factories import make_organization, make_staff, make_user

pytestmark = pytest.mark.django_db


def _codenames(group):
    return {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=group).permissions.all()}


def test_the_migration_creates_the_three_staff_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {"salesperson", "fulfillment", "manager"}


def test_a_salesperson_views_customers_and_catalog_and_changes_organizations_only():
    perms = _codenames("salesperson")
    assert {
        "customers.view_organization",
        "customers.view_membership",
        "customers.view_address",
        "catalog.view_product",
        "catalog.view_variant",
        "pricing.view_price",
        "customers.change_organization",
    } <= perms
    assert "customers.delete_organization" not in perms
    assert "customers.change_user" not in perms
    assert "customers.view_apitoken" not in perms
    assert not any(p.startswith("catalog.change_") for p in perms)


def test_fulfillment_views_the_catalog_and_changes_stock_levels_only():
    perms = _codenames("fulfillment")
    assert {"catalog.view_product", "inventory.view_stocklevel", "inventory.change_stocklevel"} <= perms
    assert not any(p.startswith("customers.") for p in perms)
    assert not any(p.startswith("pricing.") for p in perms)
    assert "catalog.change_product" not in perms


def test_a_manager_may_do_everything_on_catalog_pricing_inventory_and_customers():
    perms = _codenames("manager")
    for label in [
        "catalog.add_product",
        "catalog.delete_variant",
        "pricing.change_price",
        "inventory.change_warehouse",
        "customers.change_organization",
        "customers.change_user",
        "customers.delete_address",
    ]:
        assert label in perms


def test_a_salesperson_changes_only_the_organizations_they_own():
    salesperson = make_staff(group="salesperson")
    theirs = make_organization(salesperson=salesperson)
    someone_elses = make_organization(salesperson=make_staff(group="salesperson"))
    assert organization_change_allowed(user=salesperson, organization=theirs)
    assert not organization_change_allowed(user=salesperson, organization=someone_elses)


def test_a_manager_changes_every_organization_and_fulfillment_none():
    organization = make_organization(salesperson=make_staff(group="salesperson"))
    assert organization_change_allowed(user=make_staff(group="manager"), organization=organization)
    assert not organization_change_allowed(user=make_staff(group="fulfillment"), organization=organization)
    assert not organization_change_allowed(user=make_user(), organization=organization)


def _view(request):
    return HttpResponse("ok")


def test_staff_permission_required_lets_in_only_staff_with_the_permissions():
    view = staff_permission_required("inventory.change_stocklevel")(_view)
    factory = RequestFactory()

    request = factory.get("/backoffice/stock/")
    request.user = make_staff(group="fulfillment")
    assert view(request).status_code == 200

    request.user = make_staff(group="salesperson")
    with pytest.raises(PermissionDenied):
        view(request)

    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = view(request)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/signin/")
