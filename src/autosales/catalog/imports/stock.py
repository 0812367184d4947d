"""Importing the stock file: units on hand per SKU and warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.db import transaction

from autosales.catalog.imports.batches import rows_save, statistics_refresh_on_commit
from autosales.catalog.imports.rows import (
    STOCK_COLUMNS,
    Cells,
    ImportErrorCode,
    ImportRejected,
    ImportResult,
    RowError,
    chunks,
    csv_read,
    progress_bar,
    text_cell,
    tick,
    whole_number_cell,
)
from autosales.catalog.models import Variant
from autosales.core.cache_versions import STOCK, versions_bump
from autosales.inventory.models import StockLevel, Warehouse


@dataclass(frozen=True)
class _StockRow:
    line: int
    sku: str
    warehouse: str
    on_hand: int


def stock_import(
    *, data: bytes, skip_invalid: bool = False, dry_run: bool = False, progress: IO[str] | None = None
) -> ImportResult:
    """Stock levels are set to the file's on-hand counts in one transaction, never below what orders hold allocated."""
    _, records, unreadable = csv_read(data, known=STOCK_COLUMNS, required=STOCK_COLUMNS, allow_attributes=False)
    errors = list(unreadable)
    with transaction.atomic():
        warehouses = {w.code: w for w in Warehouse.objects.all()}
        parsed: list[_StockRow] = []
        for record in records:
            cells = Cells(record)
            sku = cells.get("sku", text_cell, max_length=Variant._meta.get_field("sku").max_length, required=True)
            code = cells.get(
                "warehouse", text_cell, max_length=Warehouse._meta.get_field("code").max_length, required=True
            )
            on_hand = cells.get("on_hand", whole_number_cell)
            if on_hand is None and not any(e.column == "on_hand" for e in cells.errors):
                cells.error("on_hand", "required")
            if code and code not in warehouses:
                known = ", ".join(sorted(warehouses)) or "none yet"
                cells.error("warehouse", f'no warehouse with code "{code}" (known: {known})')
            errors += cells.errors
            if not cells.errors:
                parsed.append(_StockRow(record.line, sku, code, on_hand))

        variants = {}
        for chunk in chunks(sorted({row.sku for row in parsed})):
            variants.update(Variant.objects.filter(sku__in=chunk).values_list("sku", "pk"))
        # Locked, in primary-key order, so allocations cannot change under the check below.
        levels: dict[tuple[int, int], StockLevel] = {}
        for chunk in chunks(sorted(set(variants.values()))):
            for level in StockLevel.objects.select_for_update().filter(variant_id__in=chunk).order_by("pk"):
                levels[(level.warehouse_id, level.variant_id)] = level

        rows: list[_StockRow] = []
        first_line: dict[tuple[str, str], int] = {}
        with progress_bar(total=len(parsed), desc="Checking", stream=progress) as bar:
            for row in parsed:
                tick(bar)
                key = (row.sku, row.warehouse)
                if key in first_line:
                    errors.append(
                        RowError(
                            row.line, "sku", f'"{row.sku}" in {row.warehouse} is already on line {first_line[key]}'
                        )
                    )
                    continue
                first_line[key] = row.line
                if row.sku not in variants:
                    errors.append(RowError(row.line, "sku", f'no variant with SKU "{row.sku}"'))
                    continue
                level = levels.get((warehouses[row.warehouse].pk, variants[row.sku]))
                if level is not None and row.on_hand < level.allocated:
                    errors.append(
                        RowError(
                            row.line,
                            "on_hand",
                            f"{row.on_hand} is below the {level.allocated} units allocated to open orders",
                        )
                    )
                    continue
                rows.append(row)
        errors.sort()
        if errors and not skip_invalid:
            raise ImportRejected(ImportErrorCode.INVALID_ROWS, errors)

        new_levels, updated_levels = [], {}
        unchanged = 0
        for row in rows:
            warehouse = warehouses[row.warehouse]
            level = levels.get((warehouse.pk, variants[row.sku]))
            if level is None:
                new_levels.append(StockLevel(warehouse=warehouse, variant_id=variants[row.sku], on_hand=row.on_hand))
            elif level.on_hand != row.on_hand:
                level.on_hand = row.on_hand
                updated_levels[level] = {"on_hand"}
            else:
                unchanged += 1
        rows_save(StockLevel, new=new_levels, updated=updated_levels)
        versions_bump(STOCK)
        if dry_run:
            transaction.set_rollback(True)
        else:
            statistics_refresh_on_commit(StockLevel, rows=len(new_levels) + len(updated_levels))
    return ImportResult(
        rows=len(records) + len(unreadable),
        created=len(new_levels),
        updated=len(updated_levels),
        unchanged=unchanged,
        skipped=len({e.line for e in errors}),
        errors=tuple(errors),
        dry_run=dry_run,
    )
