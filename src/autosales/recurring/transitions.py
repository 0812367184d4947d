"""Status changes of standing orders and of their runs, each in one place with its table of allowed moves.

Standing order:  active <-> paused;  active | paused -> cancelled | ended.   cancelled, ended: final.
Run:             scheduled -> placed | retrying | failed | skipped
                 retrying  -> placed | retrying | failed | skipped
                 skipped   -> scheduled (un-skipped before it was due)
                 placed, failed: final.
A run's move is made under its row lock against the stored status; a scheduler worker's move also needs
the worker's claim on the run, so a worker whose lease ran out cannot overwrite what the next one did.
"""

from django.db import transaction
from django.utils.translation import gettext

from autosales.core import clock
from autosales.core.errors import Conflict
from autosales.recurring.errors import RecurringError, RunClaimLost
from autosales.recurring.models import Change, Run, StandingOrder

SO = StandingOrder.Status
R = Run.Status

STANDING_ORDER_MOVES: dict[str, frozenset[str]] = {
    SO.ACTIVE: frozenset({SO.PAUSED, SO.CANCELLED, SO.ENDED}),
    SO.PAUSED: frozenset({SO.ACTIVE, SO.CANCELLED, SO.ENDED}),
    SO.CANCELLED: frozenset(),
    SO.ENDED: frozenset(),
}

RUN_MOVES: dict[str, frozenset[str]] = {
    R.SCHEDULED: frozenset({R.PLACED, R.RETRYING, R.FAILED, R.SKIPPED}),
    R.RETRYING: frozenset({R.PLACED, R.RETRYING, R.FAILED, R.SKIPPED}),
    R.SKIPPED: frozenset({R.SCHEDULED}),
    R.PLACED: frozenset(),
    R.FAILED: frozenset(),
}

# Runs that may still become an order.
OPEN_RUN_STATUSES = frozenset({R.SCHEDULED, R.RETRYING})


def standing_order_transition(
    *, standing_order: StandingOrder, to: str, actor=None, data: dict | None = None
) -> StandingOrder:
    """Moves the standing order to `to` if the table allows it (else Conflict), saves and records who did it."""
    with transaction.atomic():
        current = StandingOrder.objects.select_for_update().get(pk=standing_order.pk)
        if to not in STANDING_ORDER_MOVES[current.status]:
            raise Conflict(
                RecurringError.ILLEGAL_TRANSITION,
                gettext("A %(current)s standing order cannot become %(to)s.")
                % {"current": current.get_status_display().lower(), "to": StandingOrder.Status(to).label.lower()},
                "status",
            )
        standing_order.status = to
        standing_order.save(update_fields=["status", "paused_until", "next_materialize_at"])
        Change.objects.create(
            standing_order=standing_order,
            actor=actor if getattr(actor, "pk", None) else None,
            kind=to,
            data=data or {},
        )
    return standing_order


def run_can_move(*, run: Run, to: str) -> bool:
    return to in RUN_MOVES[run.status]


def run_transition(*, run: Run, to: str, fields: dict | None = None, worker: str | None = None) -> Run:
    """Moves a run to `to` if its stored status allows it (else Conflict), writing `fields` with it.

    A scheduler worker passes `worker`: the move is made only while the stored claim is still that worker's
    (else RunClaimLost, and nothing is written), and it hands the claim back in the same update. That is one
    conditional UPDATE (stored status and claim checked by the statement that writes); without a worker the
    row is locked and re-checked.
    """
    values = {"status": to, **(fields or {}), "updated_at": clock.now()}
    if worker is not None:
        values.update(claimed_by="", claimed_until=None)
        moves_from = [status for status, moves in RUN_MOVES.items() if to in moves]
        if Run.objects.filter(pk=run.pk, claimed_by=worker, status__in=moves_from).update(**values):
            for name, value in values.items():
                setattr(run, name, value)
            return run
        # Nothing written: say why (the claim first, as a worker that lost it must not act on the status).
        current = Run.objects.values("status", "claimed_by").get(pk=run.pk)
        if current["claimed_by"] != worker:
            raise RunClaimLost(
                RecurringError.RUN_CLAIM_LOST, "Another worker has taken over this occurrence.", "status"
            )
        _illegal(current=current["status"], to=to)
    with transaction.atomic():
        current = Run.objects.select_for_update().values("status").get(pk=run.pk)
        if to not in RUN_MOVES[current["status"]]:
            _illegal(current=current["status"], to=to)
        Run.objects.filter(pk=run.pk).update(**values)
        for name, value in values.items():
            setattr(run, name, value)
    return run


def _illegal(*, current: str, to: str):
    raise Conflict(
        RecurringError.ILLEGAL_TRANSITION,
        gettext("A %(current)s occurrence cannot become %(to)s.")
        % {"current": Run.Status(current).label.lower(), "to": Run.Status(to).label.lower()},
        "status",
    )
