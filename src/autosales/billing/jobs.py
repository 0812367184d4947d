import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError

from autosales.billing.credit_notes import CreditLine, credit_note_issue
from autosales.billing.dunning import credit_holds_review, dunning_work_due, reminders_send
from autosales.billing.issuing import (
    invoice_issue_card_receipt_for_shipment,
    invoice_issue_for_order,
    invoice_issue_for_shipment,
    invoice_issue_monthly,
)
from autosales.billing.models import Invoice, LedgerEntry
from autosales.billing.sources import (
    cancelled_to_credit,
    card_orders_to_receipt,
    card_shipments_to_receipt,
    months_to_invoice,
    orders_to_invoice,
    shipments_to_invoice,
)
from autosales.billing.statements import statements_send
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.customers.models import Organization
from autosales.jobs.registry import JobResult, job

log = logging.getLogger(__name__)

ISSUE_INVOICES = "billing.issue_invoices"


def invoices_issue_due() -> tuple[int, int, str]:
    """Issues every invoice that is due (shipments, per-order, card receipts, last month's); each once.
    Returns (issued, failed, the last failure's reason)."""
    issued = failures = 0
    error = ""

    def attempt(label, issue):
        nonlocal issued, failures, error
        try:
            issue()
            issued += 1
        except DomainError as exc:
            failures += 1
            error = f"{label}: {exc.message}"
            log.warning("cannot invoice %s: %s", label, exc.message)
        except DatabaseError as exc:  # a deadlock or a lost connection: this item is tried again next run
            failures += 1
            error = f"{label}: {type(exc).__name__}: {exc}"
            log.warning("cannot invoice %s now", label, exc_info=True)

    for shipped in shipments_to_invoice():
        attempt(f"shipment {shipped.reference}", lambda s=shipped: invoice_issue_for_shipment(shipped=s))
    for shipped in card_shipments_to_receipt():
        attempt(
            f"receipt of shipment {shipped.reference}",
            lambda s=shipped: invoice_issue_card_receipt_for_shipment(shipped=s),
        )
    for order in [*orders_to_invoice(), *card_orders_to_receipt()]:
        attempt(f"order {order.number_display}", lambda o=order: invoice_issue_for_order(order=o))
    for remainder in cancelled_to_credit():
        attempt(
            f"cancelled units of {remainder.invoice.number}",
            lambda r=remainder: credit_note_issue(
                invoice=r.invoice,
                lines=[CreditLine(invoice_line_id=r.invoice_line_id, quantity=r.units)],
                reason="Cancelled: the order"
                if r.order_cancelled
                else "Cancelled: the unshipped remainder of the order",
                credit_shipping=r.order_cancelled and r.invoice.source == Invoice.Source.ORDER,
                source_id=f"cancelled:{r.order_line_id}:{r.cancelled}",
            ),
        )
    zone = ZoneInfo(settings.SHOP_TIME_ZONE)
    today = clock.today(zone)
    start = dt.datetime.combine(today.replace(day=1), dt.time(), tzinfo=zone)
    for due in months_to_invoice(today=today, start_of_month=start):
        attempt(
            f"{due.organization.name} {due.year}-{due.month:02d}",
            lambda d=due: invoice_issue_monthly(
                organization=d.organization, year=d.year, month=d.month, orders=d.orders
            ),
        )
    return issued, failures, error


def _shop_zone() -> ZoneInfo:
    return ZoneInfo(settings.SHOP_TIME_ZONE)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=_shop_zone())


def _next_first_of_month(moment: dt.datetime) -> dt.datetime:
    local = moment.astimezone(_shop_zone()).date()
    return _start_of((local.replace(day=1) + dt.timedelta(days=32)).replace(day=1))


def _monthly_invoices_due(moment: dt.datetime) -> dt.datetime | None:
    """The next 1st of a month, when an organization is invoiced monthly (shipments wake the job themselves)."""
    if not Organization.objects.filter(has_account_terms=True, invoicing="monthly").exists():
        return None
    return _next_first_of_month(moment)


def _dunning_due(moment: dt.datetime) -> dt.datetime | None:
    day = dunning_work_due(after=moment.astimezone(_shop_zone()).date())
    return _start_of(day) if day is not None else None


def _statements_due(moment: dt.datetime) -> dt.datetime | None:
    if not LedgerEntry.objects.filter(organization__has_account_terms=True).exists():
        return None
    return _next_first_of_month(moment)


@job(ISSUE_INVOICES, every=dt.timedelta(minutes=5), work_due=_monthly_invoices_due)
def issue_invoices() -> JobResult:
    """Invoices shipments of account orders, orders invoiced at placement, card receipts and monthly accounts;
    credits the cancelled remainder of orders invoiced before they shipped."""
    issued, failures, error = invoices_issue_due()
    return JobResult(items=issued, failures=failures, error=error)


def _shop_today():
    return clock.today(_shop_zone())


@job("billing.dunning", every=dt.timedelta(hours=1), work_due=_dunning_due)
def dunning() -> JobResult:
    """Sends the overdue reminders due today (each once) and puts accounts on credit hold or lifts it."""
    today = _shop_today()
    problems: list[str] = []
    reminders = reminders_send(today=today, problems=problems)
    held, released = credit_holds_review(today=today)
    return JobResult(items=reminders + held + released, failures=len(problems), error="; ".join(problems)[:500])


@job("billing.send_statements", every=dt.timedelta(hours=1), work_due=_statements_due)
def send_statements() -> JobResult:
    """Emails last month's statement to each account customer, once, from the 1st."""
    return JobResult(items=statements_send(today=_shop_today()))
