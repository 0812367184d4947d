"""Store visits: the pages and products a customer's person views in one sitting become ONE timeline entry once
the visit has been idle for 30 minutes (job crm.store_visits), written once however often the job runs; guests,
staff and a shop with CRM_STORE_VISITS off record nothing; recording adds no database query to a store page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.core import clock
from autosales.crm.models import Activity, ActivityKind
from autosales.crm.store_visits import store_visits_close
from autosales.jobs.registry import registered_jobs
from tests.factories import make_checkout, make_contact, make_product, make_staff

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 3, 2, 20, 2, tzinfo=dt.UTC)  # 14:02 in Chicago


@pytest.fixture
def shop(client):
    checkout = make_checkout(stock=100, name="Harbor View Hotels", timezone="America/Chicago")
    checkout.user.first_name, checkout.user.last_name = "Dana", "Lee"
    checkout.user.save()
    products = [checkout.product] + [make_product(name=f"A19 LED {k}K", stock=5) for k in (2700, 3000)]
    return checkout, products


def _browse(client, paths, *, start=START, step=dt.timedelta(minutes=3)):
    for i, path in enumerate(paths):
        with clock.frozen_at(start + i * step):
            assert client.get(path).status_code == 200, path


def test_the_job_is_registered():
    assert "crm.store_visits" in registered_jobs()


def test_a_visit_of_several_pages_becomes_one_entry_once(client, shop):
    checkout, products = shop
    make_contact(organization=checkout.organization, name="Dana Lee (purchasing)", user=checkout.user)
    client.force_login(checkout.user)
    paths = ["/", "/search/?q=amber  bulbs", *[f"/p/{p.slug}/" for p in products], f"/p/{products[1].slug}/", "/cart/"]

    _browse(client, paths)  # 14:02 to 14:20, six pages apart by three minutes

    with clock.frozen_at(START + dt.timedelta(minutes=25)):
        assert store_visits_close() == 0  # still going: 10 minutes since the last page
    with clock.frozen_at(START + dt.timedelta(minutes=51)):
        assert store_visits_close() == 1
        assert store_visits_close() == 0
    with clock.frozen_at(START + dt.timedelta(hours=3)):
        assert store_visits_close() == 0

    (entry,) = Activity.objects.filter(organization=checkout.organization, kind=ActivityKind.STORE_VISIT)
    names = [p.name for p in products]
    assert entry.subject == (
        f"Dana Lee (purchasing) (Harbor View Hotels) viewed 7 pages, 3 products: {', '.join(names)}, 14:02–14:20"
    )
    assert entry.contact.user == checkout.user and entry.is_system
    assert entry.at == START + dt.timedelta(minutes=18)
    assert "“amber bulbs”" in entry.body and entry.data["pages"] == 7


def test_coming_back_after_half_an_hour_is_a_second_visit(client, shop):
    checkout, products = shop
    client.force_login(checkout.user)
    _browse(client, ["/", f"/p/{products[0].slug}/"])
    later = START + dt.timedelta(hours=2)
    _browse(client, ["/", "/", "/"], start=later)

    with clock.frozen_at(later + dt.timedelta(hours=1)):
        assert store_visits_close() == 2

    entries = Activity.objects.filter(kind=ActivityKind.STORE_VISIT).order_by("at")
    assert [e.data["pages"] for e in entries] == [2, 3]
    assert entries[0].subject.startswith("Dana Lee (Harbor View Hotels) viewed 2 pages, 1 product: ")
    assert entries[1].subject.endswith("viewed 3 pages, 16:02–16:08")


def test_guests_and_staff_record_nothing(client, shop):
    _checkout, products = shop
    _browse(client, ["/", f"/p/{products[0].slug}/"])  # a guest
    client.force_login(make_staff())
    _browse(client, ["/", f"/p/{products[0].slug}/"])

    with clock.frozen_at(START + dt.timedelta(hours=1)):
        assert store_visits_close() == 0
    assert not Activity.objects.filter(kind=ActivityKind.STORE_VISIT).exists()


def test_the_setting_off_records_nothing(client, shop, settings):
    settings.CRM_STORE_VISITS = False
    checkout, products = shop
    client.force_login(checkout.user)
    _browse(client, ["/", f"/p/{products[0].slug}/"])

    with clock.frozen_at(START + dt.timedelta(hours=1)):
        assert store_visits_close() == 0
    assert not Activity.objects.filter(kind=ActivityKind.STORE_VISIT).exists()


def _queries(client, path) -> int:
    client.get(path)  # warm, as a running server is
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_recording_adds_no_query_to_a_store_page(client, shop, settings):
    checkout, products = shop
    client.force_login(checkout.user)
    path = f"/p/{products[0].slug}/"

    settings.CRM_STORE_VISITS = False
    without = _queries(client, path)
    settings.CRM_STORE_VISITS = True
    recording = _queries(client, path)

    assert recording == without
    with clock.frozen_at(clock.now() + dt.timedelta(hours=1)):
        assert store_visits_close() == 1  # it did record


def test_a_page_is_recorded_once_it_has_been_sent_not_before(shop, rf):
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.core.cache import cache
    from django.http import HttpResponse
    from django.urls import resolve

    from autosales.crm.store_visits import StoreVisitMiddleware, _current_key

    checkout, products = shop
    request = rf.get(f"/p/{products[0].slug}/")
    SessionMiddleware(lambda r: None).process_request(request)
    AuthenticationMiddleware(lambda r: None).process_request(request)
    request.user = checkout.user
    request.resolver_match = resolve(request.path)

    # given the product page answered, its body not yet sent
    with clock.frozen_at(START):
        response = StoreVisitMiddleware(lambda r: HttpResponse("<p>page</p>"))(request)
    assert cache.get(_current_key(checkout.user.pk)) is None

    # when the server has sent it and closes the response
    response.close()

    # then the page is in the shopper's visit, at the time it was asked for
    visit = cache.get(_current_key(checkout.user.pk))
    assert visit["pages"] == 1 and visit["products"] == [products[0].slug]
    assert visit["start"] == int(START.timestamp())
