"""Writing import rows in batches: look-ups by key in chunks, change detection, bulk create and update."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autosales.catalog.imports.rows import BATCH_SIZE, chunks
from autosales.core import clock

# A value to leave as it is (its column is not in the file).
UNSET: Any = object()


def by_key(queryset, key: str, values: Sequence[Any]) -> dict[Any, Any]:
    found = {}
    for chunk in chunks(values):
        for obj in queryset.filter(**{f"{key}__in": chunk}):
            found[getattr(obj, key)] = obj
    return found


def fields_set(obj, values: dict[str, Any]) -> list[str]:
    """Sets `values` on `obj`; returns the names of the fields that really changed."""
    changed = []
    for name, value in values.items():
        if value is UNSET:
            continue
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def rows_save(model, *, new: list, updated: dict[Any, set[str]]) -> None:
    if new:
        model.objects.bulk_create(new, batch_size=BATCH_SIZE)
    if updated:
        now = clock.now()
        by_fields: dict[tuple[str, ...], list] = {}
        for obj, fields in updated.items():
            obj.updated_at = now
            by_fields.setdefault(tuple(sorted(fields)), []).append(obj)
        for fields, objs in by_fields.items():
            model.objects.bulk_update(objs, [*fields, "updated_at"], batch_size=BATCH_SIZE)
