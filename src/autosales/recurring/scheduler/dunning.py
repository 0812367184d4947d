"""A failed try of a run: what the retry policy decides, written with the emails and staff alerts it owes."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from autosales.core.errors import DomainError
from autosales.jobs.services import job_request_run
from autosales.notifications.services import email_queue, notification_create
from autosales.payments.errors import PaymentActionRequired
from autosales.payments.models import Payment
from autosales.recurring.models import Run, StandingOrder
from autosales.recurring.scheduler.recipients import absolute_link, standing_order_recipients
from autosales.recurring.scheduler.result import pass_event
from autosales.recurring.scheduler.retry import Outcome, run_retry_decision
from autosales.recurring.transitions import run_transition


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
                "date": run.delivery_date,
                "manage_url": absolute_link(f"/standing-orders/{standing_order.public_id}/"),
                **context,
            },
            related=run,
            message_id=f"{template.replace('/', '-')}-{run.pk}-{run.failures}",
            time_zone=standing_order.organization.local_time_zone,
            language=standing_order.organization.email_language,
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


def try_failed(run: Run, *, exc: DomainError, now: dt.datetime, worker: str, late: bool) -> dict:
    """Writes what a failed try leads to (the retry policy decides), with the email it owes, in one transaction.

    Raises RunClaimLost, and writes nothing, when another worker has taken the run over meanwhile.
    """
    standing_order = run.standing_order
    decision = run_retry_decision(run=run, code=exc.code, now=now)
    fields = {
        "failures": run.failures + (1 if decision.counts else 0),
        "failure_code": exc.code,
        "last_error": exc.message,
        "next_attempt_at": decision.retry_at,
        "late": late,
        "retrying_since": (run.retrying_since or now) if decision.outcome == Outcome.RETRY else None,
    }
    if not decision.same_try:
        fields.update(try_number=run.try_number + 1, request=None)
    if decision.final:
        fields["processed_at"] = now
    with transaction.atomic():
        run_transition(
            run=run, to=Run.Status.FAILED if decision.final else Run.Status.RETRYING, fields=fields, worker=worker
        )
        if decision.outcome == Outcome.DUNNING:
            retry_at = decision.retry_at
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
            return pass_event(run, "payment_failed", reason=exc.message, retry_at=retry_at.isoformat())
        if decision.final:
            failure_tell(
                run,
                template="recurring/failed",
                title=f"Standing order not placed: {standing_order.organization}",
                body=f"The order for {run.scheduled_for:%Y-%m-%d} was not placed: {exc.message}",
                context={"reason": exc.message},
            )
            return pass_event(run, "failed", reason=exc.message)
    kind = "out_of_stock" if decision.outcome == Outcome.OUT_OF_STOCK else "retry"
    return pass_event(run, kind, reason=exc.message, retry_at=decision.retry_at.isoformat())
