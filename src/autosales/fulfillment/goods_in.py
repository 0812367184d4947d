"""Goods in as the back office does it: a CSV of `sku, quantity, reference` received at one center, typed lines
of SKUs, and the center's recent receipts.

A file:

Every row is checked first (each problem with its line, column and reason, like the catalog import); then
one receipt per reference is made through `stock_receive`, all in one transaction, so a file with any problem,
or a receipt the service refuses, changes nothing. The same SKU twice under one reference is added up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Prefetch, QuerySet

from autosales.catalog.imports.rows import (
    Cells,
    ImportErrorCode,
    ImportRejected,
    RowError,
    chunks,
    csv_read,
    text_cell,
    whole_number_cell,
)
from autosales.catalog.models import Variant
from autosales.core.errors import DomainError
from autosales.fulfillment.models import StockReceipt, StockReceiptLine
from autosales.fulfillment.receiving import MAX_REFERENCE, MAX_UNITS, stock_receive
from autosales.inventory.models import Warehouse

# `center` is optional: the page's center is the file's; a file made for `autosales fulfillment receive` (which
# names the center on each row) is taken too, when every row names this center.
RECEIPT_COLUMNS = ("sku", "quantity", "reference", "center")
RECEIPT_REQUIRED = ("sku", "quantity")
MAX_ROWS = 5_000  # one delivery's worth; a bigger file is a stock import (`autosales import-stock`)


@dataclass(frozen=True)
class _Row:
    line: int
    sku: str
    quantity: int
    reference: str


def receipts_from_csv(*, warehouse: Warehouse, data: bytes, actor) -> list[StockReceipt]:
    """The receipts (one per reference, in the file's order) of the rows of `data`, received at `warehouse`;
    raises ImportRejected listing every problem, and then nothing is received."""
    _, records, errors = csv_read(data, known=RECEIPT_COLUMNS, required=RECEIPT_REQUIRED, allow_attributes=False)
    errors = list(errors)
    if len(records) > MAX_ROWS:
        raise ImportRejected(
            ImportErrorCode.INVALID_FILE,
            [RowError(records[MAX_ROWS].line, "", f"more than {MAX_ROWS} rows: split the file")],
        )
    rows: list[_Row] = []
    for record in records:
        cells = Cells(record)
        sku = cells.get("sku", text_cell, max_length=Variant._meta.get_field("sku").max_length, required=True)
        quantity = cells.get("quantity", whole_number_cell)
        reference = cells.get("reference", text_cell, max_length=MAX_REFERENCE) or ""
        center = cells.get("center", text_cell, max_length=16) or ""
        if center and center.lower() != warehouse.code.lower():
            cells.error("center", f'"{center}" is another center: this file is received at {warehouse.code}')
        if quantity is None and not any(e.column == "quantity" for e in cells.errors):
            cells.error("quantity", "required")
        elif quantity is not None and not 1 <= quantity <= MAX_UNITS:
            cells.error("quantity", f"must be from 1 to {MAX_UNITS}")
        errors += cells.errors
        if not cells.errors:
            rows.append(_Row(record.line, sku, quantity, reference))
    variants = variant_ids_by_sku(row.sku for row in rows)
    errors += [RowError(row.line, "sku", f'no product with SKU "{row.sku}"') for row in rows if row.sku not in variants]
    if not rows and not errors:
        errors.append(RowError(2, "", "no rows: the file has a header but nothing to receive"))
    if errors:
        raise ImportRejected(ImportErrorCode.INVALID_ROWS, errors)

    by_reference: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    first_line: dict[str, int] = {}
    for row in rows:
        by_reference[row.reference][variants[row.sku]] += row.quantity
        first_line.setdefault(row.reference, row.line)
    receipts = []
    with transaction.atomic():
        for reference, quantities in by_reference.items():
            try:
                receipts.append(
                    stock_receive(warehouse=warehouse, quantities=dict(quantities), reference=reference, actor=actor)
                )
            except DomainError as exc:
                raise ImportRejected(
                    ImportErrorCode.INVALID_ROWS, [RowError(first_line[reference], exc.field or "", exc.message)]
                ) from exc
    return receipts


def variant_ids_by_sku(skus) -> dict[str, int]:
    """Variant id per SKU for the SKUs that exist (one query per 900 SKUs)."""
    found: dict[str, int] = {}
    for chunk in chunks(sorted(set(skus))):
        found.update(Variant.objects.filter(sku__in=chunk).values_list("sku", "pk"))
    return found


def receipts_recent(*, warehouse: Warehouse, limit: int = 20) -> QuerySet[StockReceipt]:
    """The center's latest receipts with their lines' SKUs and who received them (two queries)."""
    lines = StockReceiptLine.objects.select_related("variant").order_by("id")
    return (
        StockReceipt.objects.filter(warehouse=warehouse)
        .select_related("received_by")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-received_at", "-id")[:limit]
    )
