"""A standing order's emails go to the organization's current ordering contacts, whoever set it up."""

import datetime as dt

from autosales.core import clock
from autosales.customers.models import Membership
from autosales.notifications.models import OutboxEmail
from autosales.recurring.scheduler import scheduler_tick
from autosales.recurring.scheduler.recipients import standing_order_recipients
from tests.factories import make_member, make_staff
from tests.recurring.conftest import make_standing_order

DUE = dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)  # 06:00 in Chicago on 1 February


def test_a_standing_order_set_up_by_staff_notifies_and_confirms_to_the_customer(bulbs):
    salesperson = make_staff(group="salesperson", email="rep@vendor.example")
    admin = make_member(organization=bulbs.organization, role=Membership.Role.ADMIN, email="admin@customer.example")
    make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), actor=salesperson)

    clock.set_now(DUE - dt.timedelta(days=3))
    scheduler_tick()
    clock.set_now(DUE)
    scheduler_tick()

    notice = OutboxEmail.objects.get(template="recurring/notice")
    confirmation = OutboxEmail.objects.get(template="orders/confirmation")
    contacts = sorted([bulbs.user.email, admin.email])
    assert sorted(notice.to) == contacts
    assert sorted(confirmation.to) == contacts


def test_people_who_left_the_organization_no_longer_get_its_standing_order_emails(bulbs):
    colleague = make_member(organization=bulbs.organization, email="colleague@customer.example")
    deactivated = make_member(organization=bulbs.organization, email="gone@customer.example")
    deactivated.is_active = False
    deactivated.save()
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))

    Membership.objects.filter(user=bulbs.user).delete()  # the buyer who set it up left

    clock.set_now(DUE)
    scheduler_tick()

    assert standing_order_recipients(standing_order) == [colleague.email]
    assert OutboxEmail.objects.get(template="orders/confirmation").to == [colleague.email]


def test_without_ordering_contacts_the_organization_address_gets_the_emails(bulbs):
    organization = bulbs.organization
    organization.email = "purchasing@customer.example"
    organization.save()
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    bulbs.user.email = ""
    bulbs.user.save()

    assert standing_order_recipients(standing_order) == ["purchasing@customer.example"]
