"""The calendar feed of a salesperson's tasks (RFC 5545, built with `icalendar`), at a secret URL a calendar
app subscribes to; a new secret (crm.sales_settings.calendar_token_renew) revokes the old URL."""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event

from autosales.core import clock
from autosales.core.errors import NotFound
from autosales.crm.errors import CrmErrorCode
from autosales.crm.models import SalesSettings, Task

# Tasks shown: open ones from a month back, and the next year; done ones of the last month, marked ✓.
PAST = dt.timedelta(days=31)
FUTURE = dt.timedelta(days=366)
DURATION = {Task.Kind.VISIT: dt.timedelta(hours=1)}
DEFAULT_DURATION = dt.timedelta(minutes=15)


def owner_by_calendar_token(*, token: str):
    row = SalesSettings.objects.filter(calendar_token=token).select_related("user").first() if token else None
    if row is None or not row.user.is_active:
        raise NotFound(CrmErrorCode.NOT_FOUND, "No such calendar.", "token")
    return row.user


def calendar_feed(*, owner) -> bytes:
    """The owner's tasks as an iCalendar document; each task one event whose UID stays the same when it moves."""
    now = clock.now()
    base = settings.SHOP["base_url"].rstrip("/")
    domain = base.split("//")[-1].split("/")[0].split(":")[0] or "autosales"
    tasks = (
        Task.objects.filter(owner=owner, due_at__gte=now - PAST, due_at__lte=now + FUTURE)
        .exclude(status=Task.Status.CANCELLED)
        .select_related("organization", "contact")
        .order_by("due_at", "pk")
    )
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.SHOP['name']}//autosales CRM//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Tasks of {owner.get_full_name() or owner.username}")
    calendar.add("refresh-interval;value=duration", "PT15M")
    for task in tasks:
        event = Event()
        event.add("uid", f"task-{task.public_id}@{domain}")
        event.add("dtstamp", now)
        event.add("dtstart", task.due_at)
        event.add("dtend", task.due_at + DURATION.get(task.kind, DEFAULT_DURATION))
        event.add("last-modified", task.updated_at)
        done = "✓ " if task.status == Task.Status.DONE else ""
        event.add("summary", f"{done}{task.get_kind_display()}: {task.title} ({task.organization.name})")
        lines = []
        if task.contact is not None:
            contact = task.contact
            lines.append(", ".join(p for p in [contact.name, contact.phone, contact.email] if p))
        if task.notes:
            lines.append(task.notes)
        url = base + reverse("backoffice:crm_task", args=[task.public_id])
        lines.append(url)
        event.add("description", "\n".join(lines))
        event.add("url", url)
        event.add("priority", {Task.Priority.HIGH: 1, Task.Priority.NORMAL: 5, Task.Priority.LOW: 9}[task.priority])
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
