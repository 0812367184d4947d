"""The daily digest: one email a day to each salesperson, at the local hour they chose, with their overdue and
today's tasks, their customers' orders and failed standing-order runs since the day before, their customers'
overdue invoices, and the customers due to reorder.

A `DigestSent` row for (salesperson, local date) is written with the email in one transaction; its unique key
makes the digest once a day whatever the re-runs and workers. A day the job did not run at all (the machine was
off all day) gets no late digest: the next one covers it, reading from the previous digest on (at most a week).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from autosales.billing.models import Invoice
from autosales.billing.selectors import shop_today
from autosales.core import clock
from autosales.core.timezones import time_zone_or_shop
from autosales.crm.email_logging import inbox_for
from autosales.crm.models import DigestSent, SalesSettings, Task
from autosales.crm.permissions import organizations_in_scope
from autosales.crm.reorder import customers_due_to_reorder
from autosales.customers.models import User
from autosales.customers.staff_roles import SALESPERSON
from autosales.notifications.services import email_queue
from autosales.orders.models import Order
from autosales.recurring.models import Run

# How far back a digest looks when there was no digest before (or the last one is older).
LOOK_BACK = dt.timedelta(days=7)


def _salespeople() -> list[User]:
    return list(
        User.objects.filter(is_active=True, is_staff=True, groups__name=SALESPERSON)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def digest_contents(*, user: User, now: dt.datetime, zone: str, since: dt.datetime) -> dict:
    """What the digest of `user` tells at `now`: tasks overdue and due today (their local day), orders placed and
    standing-order runs failed since `since` on their accounts, and their accounts' invoices past due (oldest due
    first)."""
    local_today = now.astimezone(ZoneInfo(zone)).date()
    end_of_today = dt.datetime.combine(local_today + dt.timedelta(days=1), dt.time(0), tzinfo=ZoneInfo(zone))
    tasks = list(
        Task.objects.filter(owner=user, status=Task.Status.OPEN, due_at__lt=end_of_today)
        .select_related("organization", "contact")
        .order_by("due_at", "pk")
    )
    accounts = organizations_in_scope(user=user).values("pk")
    orders = list(
        Order.objects.filter(organization__in=accounts, placed_at__gte=since, placed_at__lt=now)
        .select_related("organization")
        .order_by("placed_at", "pk")[:100]
    )
    failed = list(
        Run.objects.filter(
            standing_order__organization__in=accounts,
            status=Run.Status.FAILED,
            processed_at__gte=since,
            processed_at__lt=now,
        )
        .select_related("standing_order__organization")
        .order_by("processed_at", "pk")[:100]
    )
    overdue_invoices = list(
        Invoice.objects.filter(
            organization__in=accounts,
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.OPEN,
            due_date__lt=shop_today(),
        )
        .select_related("organization")
        .order_by("due_date", "pk")[:100]
    )
    return {
        "day": local_today,
        "overdue": [t for t in tasks if t.due_at < now],
        "today": [t for t in tasks if t.due_at >= now],
        "orders": orders,
        "failed_runs": failed,
        "overdue_invoices": overdue_invoices,
        "due_to_reorder": customers_due_to_reorder(user=user, now=now, limit=10),
        "inbox_waiting": inbox_for(user=user).count(),
    }


def digests_send() -> int:
    """Queue the digest of every salesperson whose local hour has come today and who has not had today's."""
    now = clock.now()
    rows = {row.user_id: row for row in SalesSettings.objects.all()}
    sent = 0
    for user in _salespeople():
        row = rows.get(user.pk)
        if row is not None and not row.digest_enabled:
            continue
        zone = time_zone_or_shop(row.timezone if row is not None else "")
        local = now.astimezone(ZoneInfo(zone))
        hour = row.digest_hour if row is not None else SalesSettings._meta.get_field("digest_hour").default
        if local.hour < hour:
            continue
        if DigestSent.objects.filter(user=user, day=local.date()).exists():
            continue
        previous = DigestSent.objects.filter(user=user).order_by("-day").first()
        since = max(previous.created_at, now - LOOK_BACK) if previous is not None else now - dt.timedelta(days=1)
        contents = digest_contents(user=user, now=now, zone=zone, since=since)
        try:
            with transaction.atomic():
                DigestSent.objects.create(user=user, day=local.date())
                base = settings.SHOP["base_url"].rstrip("/")
                email_queue(
                    to=user.email,
                    template="crm/digest",
                    context={
                        **contents,
                        "salesperson": user,
                        "tasks_url": base + reverse("backoffice:crm_tasks"),
                    },
                    message_id=f"crm-digest-{user.pk}-{local.date().isoformat()}",
                    time_zone=zone,
                    first=True,
                )
        except IntegrityError:  # another worker sent today's digest meanwhile
            continue
        sent += 1
    return sent
