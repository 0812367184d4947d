"""Reads of the CRM, each already limited to what the reader may see (crm.permissions)."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from autosales.core import clock
from autosales.core.errors import DomainError, NotFound
from autosales.core.timezones import time_zone_or_shop
from autosales.crm.errors import CrmErrorCode
from autosales.crm.models import LOGGED_KINDS, Activity, Contact, EmailAttachment, Profile, SalesSettings, Task
from autosales.crm.permissions import organizations_in_scope, scope_filter
from autosales.customers.models import Organization
from autosales.orders.models import Order


def organizations_for(*, user, query: str = "", mine: bool = False, tag: str = "") -> QuerySet[Organization]:
    """The organizations (customers and prospects) `user` may see, by name; `mine`: only those they own.

    Each carries `has_ordered` (False: a prospect), `last_contact_at` (the latest logged activity), `next_task_at`
    (the next open task) and its profile and salesperson, in one query."""
    queryset = organizations_in_scope(user=user)
    if mine:
        queryset = queryset.filter(salesperson_id=user.pk)
    if query:
        queryset = queryset.filter(
            Q(name__icontains=query)
            | Q(email__icontains=query)
            | Q(crm_contacts__name__icontains=query)
            | Q(crm_contacts__email__icontains=query)
        ).distinct()
    if tag:
        queryset = queryset.filter(crm_profile__tags__name=tag)
    last_contact = (
        Activity.objects.filter(organization=OuterRef("pk"), kind__in=LOGGED_KINDS).order_by("-at").values("at")[:1]
    )
    next_task = (
        Task.objects.filter(organization=OuterRef("pk"), status=Task.Status.OPEN)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return (
        queryset.select_related("salesperson", "crm_profile")
        .annotate(
            has_ordered=Exists(Order.objects.filter(organization=OuterRef("pk"), placed_at__isnull=False)),
            last_contact_at=Subquery(last_contact),
            next_task_at=Subquery(next_task),
        )
        .order_by("name", "pk")
    )


def organization_for(*, user, public_id: str) -> Organization:
    """The organization with this public id if `user` may see its CRM data; raises NotFound otherwise."""
    organization = organizations_in_scope(user=user).filter(public_id=public_id).select_related("salesperson").first()
    if organization is None:
        raise NotFound(CrmErrorCode.NOT_FOUND, "No such customer in your accounts.", "organization")
    return organization


def profile_of(*, organization: Organization) -> Profile:
    """The organization's profile, with its tags and sharing loaded (an empty one, unsaved, when none yet)."""
    profile = Profile.objects.filter(organization=organization).prefetch_related("tags", "shared_with").first()
    return profile or Profile(organization=organization)


def contacts_of(*, organization: Organization) -> QuerySet[Contact]:
    return Contact.objects.filter(organization=organization).select_related("user").order_by("name", "id")


def contact_of_organization(*, organization: Organization, public_id: str | None) -> Contact | None:
    """The organization's contact with this public id (None for none given); raises DomainError on `contact` for
    anyone else's."""
    if not public_id:
        return None
    contact = contacts_of(organization=organization).filter(public_id=public_id).first()
    if contact is None:
        raise DomainError(CrmErrorCode.INVALID, "That person is not one of this organization's contacts.", "contact")
    return contact


def contacts_for(*, user) -> QuerySet[Contact]:
    return (
        Contact.objects.filter(scope_filter(user=user))
        .select_related("organization", "user")
        .order_by("organization__name", "name", "id")
    )


def contact_for(*, user, public_id: str) -> Contact:
    contact = contacts_for(user=user).filter(public_id=public_id).first()
    if contact is None:
        raise NotFound(CrmErrorCode.NOT_FOUND, "No such contact in your accounts.", "contact")
    return contact


def timeline(
    *, organization: Organization | None = None, contact: Contact | None = None, kinds: list[str] | None = None
) -> QuerySet[Activity]:
    """The timeline of an organization or of one of its people, newest first, optionally of some kinds only;
    the author and the contact come with each entry (a page of it is one query)."""
    queryset = Activity.objects.all()
    if organization is not None:
        queryset = queryset.filter(organization=organization)
    if contact is not None:
        queryset = queryset.filter(contact=contact)
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    attachments = Prefetch("logged_email__attachments", queryset=EmailAttachment.objects.defer("content"))
    return (
        queryset.select_related("author", "contact", "logged_email")
        .prefetch_related(attachments)
        .order_by("-at", "-id")
    )


def activities_for(*, user) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(scope_filter(user=user))
        .select_related("organization", "author", "contact")
        .order_by("-at", "-id")
    )


def activity_for(*, user, public_id: str) -> Activity:
    activity = activities_for(user=user).filter(public_id=public_id).first()
    if activity is None:
        raise NotFound(CrmErrorCode.NOT_FOUND, "No such activity in your accounts.", "activity")
    return activity


def tasks_for(*, user, status: str | None = Task.Status.OPEN) -> QuerySet[Task]:
    """The tasks on the accounts `user` may see (every owner's)."""
    queryset = Task.objects.filter(scope_filter(user=user))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related("organization", "contact", "owner", "order", "invoice").order_by(
        "due_at", "-priority", "id"
    )


def task_for(*, user, public_id: str) -> Task:
    task = tasks_for(user=user, status=None).filter(public_id=public_id).first()
    if task is None:
        raise NotFound(CrmErrorCode.NOT_FOUND, "No such task in your accounts.", "task")
    return task


def time_zone_of_salesperson(*, user) -> str:
    """The zone a salesperson's tasks, reminders and digest read in: their own, else the shop's."""
    row = SalesSettings.objects.filter(user=user).values_list("timezone", flat=True).first()
    return time_zone_or_shop(row or "")


@dataclass(frozen=True)
class MyTasks:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    time_zone: str


def my_tasks(*, user, owner=None, upcoming_days: int = 14) -> MyTasks:
    """Open tasks of `owner` (default: `user`) split into overdue, due today and upcoming, by the owner's local
    day; one query for the tasks."""
    owner = owner or user
    zone = time_zone_of_salesperson(user=owner)
    now = clock.now()
    local_today = now.astimezone(ZoneInfo(zone)).date()
    start_of_today = dt.datetime.combine(local_today, dt.time(0), tzinfo=ZoneInfo(zone))
    end_of_today = start_of_today + dt.timedelta(days=1)
    horizon = start_of_today + dt.timedelta(days=upcoming_days + 1)
    tasks = list(tasks_for(user=user).filter(owner=owner, due_at__lt=horizon))
    overdue = [t for t in tasks if t.due_at < now]
    today = [t for t in tasks if now <= t.due_at < end_of_today]
    upcoming = [t for t in tasks if t.due_at >= end_of_today]
    return MyTasks(overdue=overdue, today=today, upcoming=upcoming, time_zone=zone)


def team_tasks(*, user) -> QuerySet[Task]:
    """Every open task on the accounts `user` may see, each with its owner: the manager's team view."""
    return tasks_for(user=user).select_related("owner")
