"""Branded error pages (404, 403, 500 with DEBUG off), one sign-in page for the store and the admin, the skip
link and favicon on every page, the header's customer-only links, destructive buttons."""

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.factories import make_member, make_staff

pytestmark = pytest.mark.django_db

SHOP = settings.SHOP["name"]


@override_settings(DEBUG=False)
def test_an_unknown_address_gets_the_branded_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find that page" in html and SHOP in html
    assert 'href="/"' in html or "Go to the store" in html
    assert "Traceback" not in html


@override_settings(DEBUG=False, ROOT_URLCONF="tests.error_pages_urls")
def test_a_refused_page_gets_the_branded_403_page(client):
    client.force_login(make_member(first_name="Dana", last_name="Whitfield"))
    response = client.get("/test-forbidden/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "You do not have access to this page" in html and "Dana Whitfield" in html and SHOP in html


@override_settings(DEBUG=False, ROOT_URLCONF="tests.error_pages_urls")
def test_a_bug_gets_the_branded_500_page_without_details():
    client = Client(raise_request_exception=False)
    response = client.get("/test-broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html and SHOP in html
    assert "a bug in a view" not in html and "RuntimeError" not in html


def test_every_page_has_a_skip_link_to_its_main_content_and_the_favicon(client):
    html = client.get("/").content.decode()
    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert '<main id="main"' in html
    assert 'rel="icon" href="/static/storefront/favicon.svg"' in html
    assert client.get("/favicon.ico")["Location"] == "/static/storefront/favicon.svg"


def test_the_admin_signs_in_on_the_stores_page(client):
    # given a staff member who opens the admin
    staff = make_staff(username="pat", is_superuser=True)
    page = client.get("/admin/login/?next=/admin/")
    # then the store's own sign-in page answers, in the shop's brand, posting to the store's sign-in
    assert page.status_code == 200
    assert page.templates[0].name == "registration/signin.html"
    html = page.content.decode()
    assert SHOP in html and 'action="/account/signin/"' in html and 'value="/admin/"' in html
    # when they sign in there, they arrive in the admin
    response = client.post("/account/signin/", {"username": staff.username, "password": "demo", "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # and a signed-in member of staff sent to the admin's sign-in goes on to the admin
    assert client.get("/admin/login/?next=/admin/")["Location"] == "/admin/"


def test_a_customer_sent_to_the_admin_is_told_it_has_no_access_instead_of_going_round(client):
    client.force_login(make_member(first_name="Dana", last_name="Whitfield"))
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 200
    assert "Dana Whitfield, which has no access to the administration" in page.content.decode()


def test_staff_without_a_customer_organization_see_no_customer_only_links(client):
    client.force_login(make_staff())
    html = client.get("/").content.decode()
    assert "/account/organization/" not in html and "/standing-orders/" not in html
    assert client.get("/account/organization/").status_code == 404  # what the link would have led to


def test_a_customer_sees_their_organization_standing_orders_and_invoices(client):
    client.force_login(make_member())
    html = client.get("/").content.decode()
    assert "/account/organization/" in html and "/standing-orders/" in html and "/invoices/" in html


def test_destructive_buttons_look_destructive(client):
    client.force_login(make_member())
    html = client.get("/account/organization/").content.decode()
    assert 'class="danger" type="submit">Leave' in html
