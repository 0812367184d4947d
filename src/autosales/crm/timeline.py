"""Feeds the timeline from the other apps' events (crm.timeline_sources), each event exactly once.

Each source has a cursor: the moment of the last row read. A run re-reads `OVERLAP` before the cursor, because
a row written by a transaction that committed late can carry an earlier moment than rows already read; the
unique `Activity.source_key` makes the re-read rows (and a concurrent or repeated run) add nothing.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q

from autosales.crm.models import Activity, SyncCursor
from autosales.crm.timeline_sources import SOURCES, TimelineSource

OVERLAP = dt.timedelta(minutes=10)
BATCH = 500


def _insert_new(activities: list[Activity]) -> int:
    """Insert the activities whose source key is not on the timeline yet; returns how many were new."""
    if not activities:
        return 0
    keys = [a.source_key for a in activities]
    existing = set(Activity.objects.filter(source_key__in=keys).values_list("source_key", flat=True))
    new = [a for a in activities if a.source_key not in existing]
    # A concurrent run may insert the same keys between the read and here: the unique key drops them.
    Activity.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def source_sync(source: TimelineSource) -> int:
    """Read `source` from its cursor (less the overlap) to its end; returns the entries added."""
    cursor = SyncCursor.objects.filter(source=source.name).first()
    since = cursor.position - OVERLAP if cursor is not None else None
    latest = cursor.position if cursor is not None else None
    field = source.moment_field
    added = 0
    after = None
    while True:
        rows = source.rows(since)
        if after is not None:
            moment, pk = after
            rows = rows.filter(Q(**{f"{field}__gt": moment}) | Q(**{field: moment, "pk__gt": pk}))
        batch = list(rows[:BATCH])
        if not batch:
            break
        with transaction.atomic():
            added += _insert_new(list(source.activities(batch)))
        after = (getattr(batch[-1], field), batch[-1].pk)
        latest = after[0] if latest is None else max(latest, after[0])
        if len(batch) < BATCH:
            break
    if latest is not None:
        SyncCursor.objects.update_or_create(source=source.name, defaults={"position": latest})
    return added


def timeline_sync() -> int:
    """Every source read once; returns the entries added to timelines."""
    return sum(source_sync(source) for source in SOURCES)
