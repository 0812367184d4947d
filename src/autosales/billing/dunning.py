"""Chasing unpaid invoices: reminders on the organization's schedule, and the automatic credit hold.

- Reminders: on each day of the schedule (days from the due date, e.g. -3, 0, 7, 14) an open invoice's billing
  contacts get one email, and the account's salesperson an in-app notification. Each (invoice, day) is an
  `AccountEvent` with a unique key, written with its email in one transaction, so it is sent once however often
  the job runs; a paid invoice is no longer open and gets none. After a jump of the clock (downtime, or the days
  `autosales simulate` skips), only the latest day that has passed is sent, not a burst of the ones missed, and
  a reminder before the due date is never sent once the invoice is due.
- Credit hold: an account with an invoice overdue by N days or more (the organization's own N, else the
  shop's) is put on hold, which stops orders on account at checkout (and sends its standing orders on account to
  dunning); it is lifted as soon as nothing is overdue any more (a payment, a credit note), but only a hold that
  billing put on: one that staff set by hand stays until staff lift it. Both are written to the account's
  history and emailed to its billing contacts, with a notification to the salesperson.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Min

from autosales.billing.config import setting
from autosales.billing.models import AccountEvent, Invoice
from autosales.billing.notices import billing_contact_emails, document_url
from autosales.billing.settlement import organization_lock
from autosales.core import clock
from autosales.customers.models import Organization
from autosales.customers.reminder_schedule import EARLIEST_REMINDER, reminder_days_parse
from autosales.notifications.services import email_queue, notification_create

log = logging.getLogger(__name__)


class ScheduleInvalid(Exception):
    """An organization's stored reminder schedule does not parse (it was saved before schedules were checked)."""


def reminder_days_for(organization: Organization) -> list[int]:
    """The organization's reminder days (sorted), else the shop's. A schedule that does not parse is refused
    (ScheduleInvalid naming the organization, ImproperlyConfigured for the setting), never replaced by another."""
    if organization.reminder_days.strip():
        try:
            return reminder_days_parse(organization.reminder_days)
        except ValueError as exc:
            raise ScheduleInvalid(f"{organization.name}: overdue reminders (reminder_days) {exc}") from None
    return setting("BILLING_REMINDER_DAYS")


def hold_after_days_for(organization: Organization) -> int:
    if organization.credit_hold_after_days is not None:
        return organization.credit_hold_after_days
    return setting("BILLING_CREDIT_HOLD_AFTER_DAYS")


def _backoffice_invoice_url(invoice: Invoice) -> str:
    return f"/backoffice/billing/invoices/{invoice.public_id}/"


def _tell_salesperson(organization: Organization, *, title: str, body: str, link: str) -> None:
    if organization.salesperson_id is not None:
        notification_create(user=organization.salesperson, title=title, body=body, link=link)


def _reminder_send(invoice: Invoice, *, day: int, today: dt.date) -> bool:
    key = f"reminder:{invoice.public_id}:{day}"
    organization = invoice.organization
    late = (today - invoice.due_date).days
    words = f"{late} days overdue" if late > 0 else ("due today" if late == 0 else f"due in {-late} days")
    try:
        with transaction.atomic():
            AccountEvent.objects.create(
                organization=organization,
                kind=AccountEvent.Kind.REMINDER,
                key=key,
                invoice=invoice,
                at=clock.now(),
                message=f"Reminder for {invoice.number} ({words}, {invoice.balance} open)",
            )
            recipients = billing_contact_emails(organization=organization)
            if recipients:
                email_queue(
                    to=recipients,
                    template="billing/reminder",
                    context={"invoice": invoice, "late": late, "early": -late, "url": document_url(invoice)},
                    related=invoice,
                    message_id=f"billing-reminder-{invoice.public_id}-{day}",
                    time_zone=organization.local_time_zone,
                    language=organization.email_language,
                    first=True,
                )
            _tell_salesperson(
                organization,
                title=f"{organization.name}: invoice {invoice.number} {words}",
                body=f"{invoice.balance} open; a reminder went to the customer.",
                link=_backoffice_invoice_url(invoice),
            )
    except IntegrityError:
        return False  # sent already (another worker at the same moment)
    return True


def reminders_send(*, today: dt.date, problems: list[str] | None = None) -> int:
    """Sends the reminders due on `today` (shop date) that were not sent yet; returns how many were sent.
    An organization whose schedule does not parse gets none; the reason is added to `problems` and logged."""
    invoices = list(
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.OPEN,
            organization__has_account_terms=True,
            due_date__lte=today - dt.timedelta(days=EARLIEST_REMINDER),
        )
        .select_related("organization", "organization__salesperson")
        .order_by("due_date", "id")
    )
    wanted: dict[str, tuple[Invoice, int]] = {}
    schedules: dict[int, list[int]] = {}
    refused: dict[int, str] = {}
    for invoice in invoices:
        organization = invoice.organization
        if organization.pk not in schedules and organization.pk not in refused:
            try:
                schedules[organization.pk] = reminder_days_for(organization)
            except ScheduleInvalid as exc:
                refused[organization.pk] = str(exc)
                log.error("no overdue reminders for %s", exc)
        passed = [
            day for day in schedules.get(organization.pk, []) if invoice.due_date + dt.timedelta(days=day) <= today
        ]
        # After downtime only the latest step that has passed goes out (with today's figures), and a step before
        # the due date only before it: once the invoice is due, a missed "falls due soon" is not sent.
        if passed and (passed[-1] >= 0 or today < invoice.due_date):
            wanted[f"reminder:{invoice.public_id}:{passed[-1]}"] = (invoice, passed[-1])
    if problems is not None:
        problems.extend(refused.values())
    sent_already = set(AccountEvent.objects.filter(key__in=list(wanted)).values_list("key", flat=True))
    # A later step sent means the ones before are over too (a paid-then-reopened case cannot happen: invoices
    # only ever get more settled), so only the latest passed step is looked at.
    return sum(
        _reminder_send(invoice, day=day, today=today)
        for key, (invoice, day) in wanted.items()
        if key not in sent_already
    )


def dunning_work_due(*, after: dt.date) -> dt.date | None:
    """The first day after `after` on which an open invoice has a reminder or puts its account on hold (for a
    simulation of time, which stops on that day); None if none will."""
    rows = list(
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, organization__has_account_terms=True
        )
        .values_list("organization_id", "due_date")
        .distinct()
    )
    organizations = Organization.objects.in_bulk({organization_id for organization_id, _ in rows})
    days = []
    for organization_id, due_date in rows:
        organization = organizations[organization_id]
        try:
            steps = reminder_days_for(organization)
            hold = None if organization.credit_hold else hold_after_days_for(organization)
        except (ScheduleInvalid, ImproperlyConfigured):
            continue  # reported by the job itself
        days += [due_date + dt.timedelta(days=step) for step in steps]
        if hold is not None:
            days.append(due_date + dt.timedelta(days=hold))
    return min((day for day in days if day > after), default=None)


def _event(organization: Organization, *, kind: str, message: str) -> AccountEvent:
    count = AccountEvent.objects.filter(organization=organization, kind=kind).count()
    return AccountEvent.objects.create(
        organization=organization,
        kind=kind,
        key=f"{kind}:{organization.public_id}:{count + 1}",
        at=clock.now(),
        message=message,
    )


def _hold_is_automatic(organization: Organization) -> bool:
    last = (
        AccountEvent.objects.filter(
            organization=organization, kind__in=[AccountEvent.Kind.CREDIT_HOLD, AccountEvent.Kind.CREDIT_RELEASED]
        )
        .order_by("-at", "-id")
        .first()
    )
    return last is not None and last.kind == AccountEvent.Kind.CREDIT_HOLD


def _overdue(organization_id: int, *, today: dt.date):
    return Invoice.objects.filter(
        organization_id=organization_id, kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, due_date__lt=today
    )


def _hold_email(organization: Organization, *, template: str, context: dict, message_id: str) -> None:
    recipients = billing_contact_emails(organization=organization)
    if recipients:
        email_queue(
            to=recipients,
            template=template,
            context={"organization": organization, **context},
            related=organization,
            message_id=message_id,
            time_zone=organization.local_time_zone,
            language=organization.email_language,
            first=True,
        )


def credit_hold_review(*, organization_id: int, today: dt.date) -> str | None:
    """Puts the account on hold, or lifts billing's hold, as its overdue invoices say; "held", "released" or None.
    Call inside or outside a transaction: it takes the organization's lock."""
    with transaction.atomic():
        organization = organization_lock(organization_id)
        if not organization.has_account_terms:
            return None
        overdue = _overdue(organization.pk, today=today)
        if not organization.credit_hold:
            oldest = overdue.aggregate(due=Min("due_date"))["due"]
            days = hold_after_days_for(organization)
            if oldest is None or (today - oldest).days < days:
                return None
            late = (today - oldest).days
            Organization.objects.filter(pk=organization.pk).update(credit_hold=True, updated_at=clock.now())
            event = _event(
                organization,
                kind=AccountEvent.Kind.CREDIT_HOLD,
                message=f"Credit hold: an invoice is {late} days overdue",
            )
            _hold_email(
                organization,
                template="billing/credit_hold",
                context={"late": late, "invoices": list(overdue.order_by("due_date"))},
                message_id=f"billing-{event.key.replace(':', '-')}",
            )
            _tell_salesperson(
                organization,
                title=f"{organization.name} is on credit hold",
                body=f"An invoice is {late} days overdue; orders on account are stopped until it is paid.",
                link=f"/backoffice/billing/customers/{organization.public_id}/",
            )
            return "held"
        if overdue.exists() or not _hold_is_automatic(organization):
            return None
        Organization.objects.filter(pk=organization.pk).update(credit_hold=False, updated_at=clock.now())
        event = _event(
            organization, kind=AccountEvent.Kind.CREDIT_RELEASED, message="Credit hold lifted: nothing is overdue"
        )
        _hold_email(
            organization,
            template="billing/credit_released",
            context={},
            message_id=f"billing-{event.key.replace(':', '-')}",
        )
        _tell_salesperson(
            organization,
            title=f"{organization.name}: credit hold lifted",
            body="The overdue invoices are paid; orders on account are open again.",
            link=f"/backoffice/billing/customers/{organization.public_id}/",
        )
        return "released"


def credit_holds_review(*, today: dt.date) -> tuple[int, int]:
    """Every account that should be put on hold or released today; returns (held, released)."""
    overdue_orgs = set(
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.OPEN,
            due_date__lt=today,
            organization__credit_hold=False,
            organization__has_account_terms=True,
        ).values_list("organization_id", flat=True)
    )
    held_orgs = set(Organization.objects.filter(credit_hold=True, has_account_terms=True).values_list("pk", flat=True))
    held = released = 0
    for organization_id in sorted(overdue_orgs | held_orgs):
        outcome = credit_hold_review(organization_id=organization_id, today=today)
        held += outcome == "held"
        released += outcome == "released"
    return held, released
