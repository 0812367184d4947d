"""Reminders ahead of tasks, each sent exactly once, by email (the outbox) and in the app.

For every open task due within the longest offset, each offset (the task's own, else its owner's settings)
gives a moment to remind: the due moment less the offset, counted on the owner's wall clock (a reminder "one
day before" a 9:00 task comes at 9:00 the day before, across a change of daylight-saving time too). When that
moment has come and the task is still open and not yet due, one `Reminder` row for (task, offset, due moment) is
written with its notification and its email in one transaction; the row's unique key makes a re-run, a
concurrent worker or a clock that jumps add nothing. A task moved to another moment has new keys, so it is
reminded again for its new time; a completed or cancelled task is never reminded.

When several reminders of one due moment have come at once (the clock jumped over the first, or the task was
moved close to now), only the nearest is sent; the earlier ones are recorded as skipped, so they never go out
later. A reminder whose moment came before the task was created is not due at all.
"""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from autosales.core import clock
from autosales.core.timezones import time_zone_or_shop
from autosales.crm.models import Reminder, SalesSettings, Task, default_reminder_offsets, reminder_offset_label
from autosales.crm.tasks import MAX_OFFSET_MINUTES
from autosales.notifications.services import email_queue, notification_create

log = logging.getLogger(__name__)


def remind_at(*, due_at: dt.datetime, offset_minutes: int, zone: str) -> dt.datetime:
    """`offset_minutes` before `due_at` on the wall clock of `zone`, as a UTC moment."""
    local = due_at.astimezone(ZoneInfo(zone))
    # Arithmetic on an aware datetime keeps its zone and counts wall-clock time.
    earlier = local - dt.timedelta(minutes=offset_minutes)
    return earlier.replace(tzinfo=None).replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def _settings_by_owner(owner_ids) -> dict[int, SalesSettings]:
    return {row.user_id: row for row in SalesSettings.objects.filter(user_id__in=owner_ids)}


def _plan(task: Task, owner_settings: SalesSettings | None, now: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """(offset, remind moment) of the task's reminders whose moment has come, nearest last."""
    offsets = task.reminder_offsets
    if offsets is None:
        offsets = owner_settings.reminder_offsets if owner_settings is not None else default_reminder_offsets()
    zone = time_zone_or_shop(owner_settings.timezone if owner_settings is not None else "")
    due = [(o, remind_at(due_at=task.due_at, offset_minutes=o, zone=zone)) for o in sorted(set(offsets), reverse=True)]
    # A moment that came before the task existed is no reminder: the task was set up after it.
    return [(o, at) for o, at in due if task.created_at <= at <= now]


def _send(*, task_id: int, offset: int, moment: dt.datetime, due_at: dt.datetime, skipped: bool) -> bool:
    """Write the reminder row (and, unless skipped, what it owes) in one transaction; False when already there
    or when the task changed meanwhile."""
    now = clock.now()
    try:
        with transaction.atomic():
            task = (
                Task.objects.select_for_update(of=("self",))
                .select_related("owner", "organization")
                .filter(pk=task_id)
                .first()
            )
            if task is None or task.status != Task.Status.OPEN or task.due_at != due_at or task.due_at <= now:
                return False
            owner_settings = SalesSettings.objects.filter(user_id=task.owner_id).first()
            by_email = (
                not skipped and bool(task.owner.email) and (owner_settings is None or owner_settings.remind_by_email)
            )
            in_app = not skipped and (owner_settings is None or owner_settings.remind_in_app)
            reminder = Reminder.objects.create(
                task=task,
                offset_minutes=offset,
                due_at=due_at,
                remind_at=moment,
                sent_at=now,
                by_email=by_email,
                in_app=in_app,
                skipped=skipped,
            )
            if skipped:
                return True
            zone = time_zone_or_shop(owner_settings.timezone if owner_settings is not None else "")
            link = reverse("backoffice:crm_task", args=[task.public_id])
            local_due = task.due_at.astimezone(ZoneInfo(zone))
            title = f"{task.get_kind_display()}: {task.title}"
            body = f"{task.organization.name}, due {local_due:%a %b %d, %H:%M} ({reminder_offset_label(offset)})"
            if in_app:
                notification_create(user=task.owner, title=title[:200], body=body, link=link)
            if by_email:
                email_queue(
                    to=task.owner.email,
                    template="crm/task_reminder",
                    context={
                        "task": task,
                        "organization": task.organization,
                        "due_at": task.due_at,
                        "ahead": reminder_offset_label(offset),
                        "task_url": settings.SHOP["base_url"].rstrip("/") + link,
                    },
                    related=task,
                    message_id=f"crm-reminder-{reminder.pk}",
                    time_zone=zone,
                    first=True,
                )
            return True
    except IntegrityError:  # another worker wrote this reminder first
        return False


def reminders_send() -> int:
    """Send every reminder whose moment has come; returns how many were sent (skipped ones not counted)."""
    now = clock.now()
    tasks = list(
        Task.objects.filter(
            status=Task.Status.OPEN, due_at__gt=now, due_at__lte=now + dt.timedelta(minutes=MAX_OFFSET_MINUTES + 120)
        ).only("pk", "owner_id", "due_at", "reminder_offsets", "created_at")
    )
    if not tasks:
        return 0
    owners = _settings_by_owner({t.owner_id for t in tasks})
    done = set(
        Reminder.objects.filter(task_id__in=[t.pk for t in tasks]).values_list("task_id", "offset_minutes", "due_at")
    )
    sent = 0
    for task in tasks:
        plan = [
            (o, at) for o, at in _plan(task, owners.get(task.owner_id), now) if (task.pk, o, task.due_at) not in done
        ]
        for index, (offset, moment) in enumerate(plan):
            nearest = index == len(plan) - 1
            if (
                _send(task_id=task.pk, offset=offset, moment=moment, due_at=task.due_at, skipped=not nearest)
                and nearest
            ):
                sent += 1
    return sent
