"""What a scheduler pass returns: how many items, how many failed, and one event per item."""

from __future__ import annotations

from dataclasses import dataclass, field

from autosales.recurring.models import Run


@dataclass
class PassResult:
    items: int = 0
    failures: int = 0
    events: list[dict] = field(default_factory=list)


def pass_event(run: Run, kind: str, **data) -> dict:
    return {
        "type": kind,
        "standing_order": run.standing_order.public_id,
        "scheduled_for": run.scheduled_for.isoformat(),
        "moved_to": run.moved_to.isoformat() if run.moved_to else None,
        "run_kind": run.kind,
        "late": run.late,
        **data,
    }
