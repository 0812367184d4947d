"""Feeds the timeline from the other apps' events (crm.timeline_sources), each event exactly once.

Each source has a cursor: the moment of the last row read. A run first re-reads `OVERLAP` before the cursor, because
a row written by a transaction that committed late can carry an earlier moment than rows already read, then goes
on from the cursor; the unique `Activity.source_key` makes the re-read rows (and a concurrent or repeated run)
add nothing. A run reads at most `MAX_BATCHES` batches of each part, so a first run over a long history goes on
at the next run, from where the cursor stopped.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q

from autosales.crm.models import Activity, SyncCursor
from autosales.crm.timeline_sources import SOURCES, TimelineSource

OVERLAP = dt.timedelta(minutes=10)
BATCH = 500
MAX_BATCHES = 20


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


def _walk(
    source: TimelineSource, rows, *, save_cursor: bool, position: dt.datetime | None
) -> tuple[int, dt.datetime | None]:
    """Write the activities of `rows` (ordered by moment and pk) batch by batch, walking forward by (moment, pk);
    with `save_cursor`, the cursor moves after each batch. Returns (entries added, the latest moment read)."""
    field = source.moment_field
    added, after = 0, None
    for _ in range(MAX_BATCHES):
        page = rows
        if after is not None:
            moment, pk = after
            page = rows.filter(Q(**{f"{field}__gt": moment}) | Q(**{field: moment, "pk__gt": pk}))
        batch = list(page[:BATCH])
        if not batch:
            break
        after = (getattr(batch[-1], field), batch[-1].pk)
        position = after[0] if position is None else max(position, after[0])
        with transaction.atomic():
            added += _insert_new(list(source.activities(batch)))
            if save_cursor:
                SyncCursor.objects.update_or_create(source=source.name, defaults={"position": position})
        if len(batch) < BATCH:
            break
    return added, position


def source_sync(source: TimelineSource) -> int:
    """Read `source` from its cursor on, after re-reading the overlap before it; returns the entries added."""
    cursor = SyncCursor.objects.filter(source=source.name).first()
    added = 0
    if cursor is not None:
        # Rows committed late with a moment just before the cursor (the unique source key skips the others).
        late = source.rows(cursor.position - OVERLAP).filter(**{f"{source.moment_field}__lte": cursor.position})
        added, _ = _walk(source, late, save_cursor=False, position=cursor.position)
    new, _ = _walk(
        source,
        source.rows(cursor.position if cursor is not None else None),
        save_cursor=True,
        position=cursor.position if cursor is not None else None,
    )
    return added + new


def timeline_sync() -> int:
    """Every source read once; returns the entries added to timelines."""
    return sum(source_sync(source) for source in SOURCES)
