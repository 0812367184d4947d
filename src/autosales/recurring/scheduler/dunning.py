"""A failed try of a run: the dunning schedule for payment problems, the emails and staff alerts it owes."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from autosales.checkout.errors import CheckoutError
from autosales.core.errors import DomainError
from autosales.jobs.claims import claim_release
from autosales.jobs.services import job_request_run
from autosales.notifications.services import email_queue, notification_create
from autosales.payments.errors import PaymentActionRequired, PaymentError
from autosales.payments.models import Payment
from autosales.recurring.models import Run, StandingOrder
from autosales.recurring.scheduler.recipients import absolute_link, standing_order_recipients
from autosales.recurring.scheduler.result import pass_event
from autosales.recurring.transitions import run_transition

# A declined card or an account on hold is tried again this many days after the due date, then the run fails.
DUNNING_DAYS = (1, 3, 5)

PAYMENT_FAILURES = {
    PaymentError.DECLINED,
    PaymentError.INSUFFICIENT_FUNDS,
    PaymentError.INVALID_TOKEN,
    PaymentError.AUTHENTICATION_REQUIRED,
    CheckoutError.CARD_TOKEN_REQUIRED,
    CheckoutError.ACCOUNT_NO_TERMS,
    CheckoutError.ACCOUNT_CREDIT_HOLD,
    CheckoutError.ACCOUNT_CREDIT_LIMIT,
}


def _staff_to_alert(standing_order: StandingOrder):
    from django.contrib.auth import get_user_model

    salesperson = standing_order.organization.salesperson
    if salesperson is not None and salesperson.is_active:
        return [salesperson]
    return list(get_user_model().objects.filter(is_active=True, groups__name="manager").distinct()[:5])


def failure_tell(run: Run, *, template: str, title: str, body: str, context: dict) -> None:
    """The customer's email and the staff alert that a failed try owes, in the caller's transaction."""
    standing_order = run.standing_order
    recipients = standing_order_recipients(standing_order)
    if recipients:
        email_queue(
            to=recipients,
            template=template,
            context={
                "standing_order": standing_order,
                "run": run,
                "date": run.scheduled_for,
                "manage_url": absolute_link(f"/standing-orders/{standing_order.public_id}/"),
                **context,
            },
            related=run,
            message_id=f"{template.replace('/', '-')}-{run.pk}-{run.failures}",
        )
    for user in _staff_to_alert(standing_order):
        notification_create(
            user=user,
            title=title,
            body=body,
            link=f"/backoffice/standing-orders/{standing_order.public_id}/",
        )


def _confirmation_ask(run: Run, *, exc: PaymentActionRequired, retry_at: dt.datetime) -> None:
    """The bank wants the customer to confirm the payment: remember it on the run, email them the page to do so."""
    payment = Payment.objects.filter(public_id=exc.payment).first()
    Run.objects.filter(pk=run.pk).update(action_payment=payment)
    run.action_payment = payment
    link = f"/standing-orders/{run.standing_order.public_id}/payments/{exc.payment}/confirm/"
    failure_tell(
        run,
        template="recurring/payment_authentication",
        title=f"Standing order payment awaits the customer's confirmation: {run.standing_order.organization}",
        body=f"{exc.message} Next try {retry_at:%Y-%m-%d}.",
        context={"reason": exc.message, "retry_at": retry_at, "confirm_url": absolute_link(link), "payment": payment},
    )


def run_payment_confirmed(*, run: Run, now: dt.datetime) -> None:
    """The customer confirmed the payment the bank asked about: the run is tried again now, with that payment."""
    updated = Run.objects.filter(pk=run.pk, status=Run.Status.RETRYING, action_payment__isnull=False).update(
        next_attempt_at=now
    )
    if updated:
        job_request_run(name="recurring.place")


def failed_try(run: Run, *, exc: DomainError, now: dt.datetime, worker: str, late: bool) -> dict:
    """A refusal of this try: payment problems follow the dunning schedule; anything else fails the run."""
    standing_order = run.standing_order
    failures = run.failures + 1
    dunning = exc.code in PAYMENT_FAILURES and failures <= len(DUNNING_DAYS)
    with transaction.atomic():
        if dunning:
            retry_at = max(run.due_at + dt.timedelta(days=DUNNING_DAYS[failures - 1]), now)
            run_transition(
                run=run,
                to=Run.Status.RETRYING,
                fields={
                    "failures": failures,
                    "failure_code": exc.code,
                    "last_error": exc.message,
                    "next_attempt_at": retry_at,
                    "late": late,
                },
            )
            if isinstance(exc, PaymentActionRequired):
                _confirmation_ask(run, exc=exc, retry_at=retry_at)
            else:
                failure_tell(
                    run,
                    template="recurring/payment_failed",
                    title=f"Standing order payment failed: {standing_order.organization}",
                    body=f"{exc.message} Next try {retry_at:%Y-%m-%d}.",
                    context={"reason": exc.message, "retry_at": retry_at},
                )
            event = pass_event(run, "payment_failed", reason=exc.message, retry_at=retry_at.isoformat())
        else:
            run_transition(
                run=run,
                to=Run.Status.FAILED,
                fields={
                    "failures": failures,
                    "failure_code": exc.code,
                    "last_error": exc.message,
                    "next_attempt_at": None,
                    "processed_at": now,
                    "late": late,
                },
            )
            failure_tell(
                run,
                template="recurring/failed",
                title=f"Standing order not placed: {standing_order.organization}",
                body=f"The order for {run.scheduled_for:%Y-%m-%d} was not placed: {exc.message}",
                context={"reason": exc.message},
            )
            event = pass_event(run, "failed", reason=exc.message)
        claim_release(instance=run, worker=worker)
    return event
