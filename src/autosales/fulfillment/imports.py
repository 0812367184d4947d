"""CSV files from carriers and warehouses: tracking numbers (shipments), goods received, deliveries.

Like the catalog import (catalog.imports): every row is checked first, each problem reported with its line,
column and reason; a file with a bad row ships, receives or delivers nothing unless the caller asks to skip
the bad rows; `dry_run` checks and reports only. Importing the same file twice changes nothing the second time.

Tracking file, one row per shipment:
    order, lines, carrier, tracking, shipped_at [, center]
`order`: the confirmation number (7K2Q-9XMD-4T) or the order's public id; `lines`: `SKU:qty;SKU:qty`, or `all`
for every unit allocated (at `center`, when given); `shipped_at`: ISO 8601 (2026-03-02T14:30:00-06:00; a date
alone, or a time without zone, is read in the shop's time zone); empty: now. `center`: the distribution center's
code, needed only when the lines are allocated at more than one center.

Receipts file: center, sku, quantity, reference — one receipt per center and reference. When the caller names
the center (the back office's goods-in page), `center` may be left out; a row naming another center is refused.
Deliveries file (tracking events): carrier, tracking, delivered_at.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from typing import IO

from django.db import transaction

from autosales.catalog.imports.rows import (
    Cells,
    ImportErrorCode,
    ImportRejected,
    Record,
    RowError,
    csv_read,
    progress_bar,
    text_cell,
    tick,
    whole_number_cell,
)
from autosales.catalog.models import Variant
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.core.timezones import shop_time_zone
from autosales.fulfillment.carriers import carrier_get
from autosales.fulfillment.models import Shipment, ShipmentStatus, StockReceipt
from autosales.fulfillment.receiving import MAX_REFERENCE, MAX_UNITS, stock_receive
from autosales.fulfillment.shipments import order_shippable, shipment_create, shipment_mark_delivered
from autosales.inventory.models import Warehouse
from autosales.orders.confirmation_numbers import confirmation_number_normalize
from autosales.orders.models import Order, OrderAllocation, OrderLine

TRACKING_COLUMNS = ("order", "lines", "carrier", "tracking", "shipped_at", "center")
TRACKING_REQUIRED = ("order", "lines", "carrier", "tracking")
RECEIPT_COLUMNS = ("center", "sku", "quantity", "reference")
RECEIPT_REQUIRED = ("center", "sku", "quantity")
MAX_RECEIPT_ROWS = 5_000  # one delivery's worth; a bigger file is a stock import
DELIVERY_COLUMNS = ("carrier", "tracking", "delivered_at")
DELIVERY_REQUIRED = ("carrier", "tracking")


@dataclass
class FileResult:
    """What an import did (or, on a dry run, would do)."""

    rows: int
    done: int = 0  # shipments made, receipts written, shipments delivered
    unchanged: int = 0  # rows imported before
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    receipts: list[StockReceipt] = field(default_factory=list)  # the receipts written (receipts files)


def moment_cell(value: str) -> dt.datetime | None:
    """An ISO 8601 date or time; without a zone, in the shop's. Empty: None."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f'not a date or time (use ISO 8601, e.g. 2026-03-02T14:30:00-06:00): "{value}"') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(shop_time_zone()))
    if moment > clock.now() + dt.timedelta(minutes=5):
        raise ValueError(f'in the future: "{value}"')
    return moment


def _lines_cell(value: str) -> dict[str, int] | str:
    value = value.strip()
    if value.lower() == "all":
        return "all"
    if not value:
        raise ValueError('required: "SKU:qty;SKU:qty" or "all"')
    wanted: dict[str, int] = {}
    for part in value.split(";"):
        sku, sep, quantity = part.strip().rpartition(":")
        if not sep or not sku.strip() or not quantity.strip().isdigit() or int(quantity) < 1:
            raise ValueError(f'"{part.strip()}" is not SKU:quantity (a whole number from 1)')
        if sku.strip() in wanted:
            raise ValueError(f'"{sku.strip()}" is listed twice')
        wanted[sku.strip()] = int(quantity)
    return wanted


@dataclass
class _Shipping:
    line: int
    order: Order
    warehouse: Warehouse
    lines: dict[int, int]
    carrier: str
    tracking: str
    shipped_at: dt.datetime | None
    key: str


def _orders_by_reference(records: list[Record]) -> dict[str, Order]:
    numbers = {confirmation_number_normalize(r.cells.get("order", "")) for r in records}
    references = {r.cells.get("order", "").strip() for r in records}
    found = {}
    for order in Order.objects.filter(number__in=numbers):
        found[order.number] = order
    for order in Order.objects.filter(public_id__in=references):
        found[order.public_id] = order
    return found


def tracking_import(
    *, data: bytes, actor, skip_invalid: bool = False, dry_run: bool = False, progress: IO[str] | None = None
) -> FileResult:
    """One shipment per row (see the module's docstring); a row imported before (same order, carrier and
    tracking number) is left as it is."""
    _, records, unreadable = csv_read(data, known=TRACKING_COLUMNS, required=TRACKING_REQUIRED, allow_attributes=False)
    result = FileResult(rows=len(records) + len(unreadable), errors=list(unreadable), dry_run=dry_run)
    orders = _orders_by_reference(records)
    warehouses = {w.code.lower(): w for w in Warehouse.objects.filter(is_active=True)}
    order_ids = [o.pk for o in orders.values()]
    lines_by_order: dict[int, dict[str, OrderLine]] = defaultdict(dict)
    allocated: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)  # (order, line) -> warehouse -> units
    for allocation in OrderAllocation.objects.filter(line__order_id__in=order_ids).select_related(
        "line", "stock_level"
    ):
        per = allocated[(allocation.line.order_id, allocation.line_id)]
        per[allocation.stock_level.warehouse_id] = per.get(allocation.stock_level.warehouse_id, 0) + allocation.quantity
    for line in OrderLine.objects.filter(order_id__in=order_ids):
        lines_by_order[line.order_id][line.sku.lower()] = line
    existing_keys = set(
        Shipment.objects.filter(idempotency_key__startswith="import:", order_id__in=order_ids).values_list(
            "idempotency_key", flat=True
        )
    )
    to_ship: list[_Shipping] = []
    taken: dict[tuple[int, int, int], int] = defaultdict(int)  # (order, line, warehouse) -> units in earlier rows
    with progress_bar(total=len(records), desc="Checking", stream=progress) as bar:
        for record in records:
            tick(bar)
            cells = Cells(record)
            reference = cells.get("order", text_cell, max_length=32, required=True)
            wanted = cells.get("lines", _lines_cell)
            carrier = cells.get("carrier", _carrier_cell)
            tracking = cells.get("tracking", text_cell, max_length=64, required=True)
            shipped_at = cells.get("shipped_at", moment_cell)
            center_code = cells.get("center", text_cell, max_length=16) or ""
            order = None
            if reference:
                order = orders.get(confirmation_number_normalize(reference)) or orders.get(reference)
                if order is None:
                    cells.error("order", f'no order "{reference}"')
            center = None
            if center_code:
                center = warehouses.get(center_code.lower())
                if center is None:
                    cells.error(
                        "center",
                        f'no active center "{center_code}" (known: {", ".join(sorted(w.code for w in warehouses.values()))})',
                    )
            if cells.errors or order is None or wanted is None:
                result.errors += cells.errors
                continue
            key = f"import:{order.number}:{carrier}:{tracking}"
            if key in existing_keys:
                result.unchanged += 1
                continue
            if not order_shippable(order):
                cells.error(
                    "order", f"order {order.number_display} is {order.get_status_display().lower()}: it cannot ship"
                )
                result.errors += cells.errors
                continue
            if shipped_at is not None and order.placed_at is not None and shipped_at < order.placed_at:
                cells.error(
                    "shipped_at",
                    f"before order {order.number_display} was placed ({order.placed_at.isoformat(timespec='seconds')})",
                )
                result.errors += cells.errors
                continue
            order_lines = lines_by_order[order.pk]
            if wanted == "all":
                by_line = {line.pk: allocated.get((order.pk, line.pk), {}) for line in order_lines.values()}
            else:
                by_line = {}
                for sku, units in wanted.items():
                    line = order_lines.get(sku.lower())
                    if line is None:
                        cells.error("lines", f'order {order.number_display} has no line with SKU "{sku}"')
                        continue
                    by_line[line.pk] = units
            if cells.errors:
                result.errors += cells.errors
                continue
            centers = {wid for line_id in by_line for wid in allocated.get((order.pk, line_id), {})}
            if center is None:
                if len(centers) != 1:
                    cells.error(
                        "center" if centers else "lines",
                        "allocated at more than one center: add a center column"
                        if centers
                        else "nothing of these lines is allocated to ship",
                    )
                    result.errors += cells.errors
                    continue
                center = next(w for w in warehouses.values() if w.pk in centers)
            lines: dict[int, int] = {}
            for line_id, units in by_line.items():
                here = allocated.get((order.pk, line_id), {}).get(center.pk, 0) - taken[(order.pk, line_id, center.pk)]
                units = here if wanted == "all" else units
                if wanted != "all" and units > here:
                    sku = next(line.sku for line in order_lines.values() if line.pk == line_id)
                    cells.error("lines", f"{sku}: {units} to ship, but {max(here, 0)} allocated at {center.code}")
                if units > 0:
                    lines[line_id] = units
            if not lines and not cells.errors:
                cells.error("lines", f"nothing of order {order.number_display} is allocated at {center.code}")
            if cells.errors:
                result.errors += cells.errors
                continue
            for line_id, units in lines.items():
                taken[(order.pk, line_id, center.pk)] += units
            existing_keys.add(key)
            to_ship.append(_Shipping(record.line, order, center, lines, carrier, tracking, shipped_at, key))
    _refuse_or_skip(result, skip_invalid=skip_invalid)
    if dry_run:
        result.done = len(to_ship)
        return result
    with progress_bar(total=len(to_ship), desc="Shipping", stream=progress) as bar:
        for row in to_ship:
            tick(bar)
            try:
                shipment_create(
                    order=row.order,
                    warehouse=row.warehouse,
                    lines=row.lines,
                    carrier=row.carrier,
                    tracking_number=row.tracking,
                    actor=actor,
                    idempotency_key=row.key,
                    shipped_at=row.shipped_at,
                )
            except DomainError as exc:
                # Changed since the check (another clerk shipped it): reported, the other rows ship.
                result.errors.append(
                    RowError(
                        row.line, "lines" if (exc.field or "").startswith("lines") else exc.field or "", exc.message
                    )
                )
                result.skipped += 1
                continue
            result.done += 1
    return result


def _carrier_cell(value: str) -> str:
    try:
        return carrier_get(value).code
    except DomainError as exc:
        raise ValueError(exc.message) from None


def _refuse_or_skip(result: FileResult, *, skip_invalid: bool) -> None:
    result.errors.sort()
    if result.errors and not skip_invalid:
        raise ImportRejected(ImportErrorCode.INVALID_ROWS, result.errors)
    result.skipped = len({e.line for e in result.errors})


def receipts_import(
    *,
    data: bytes,
    actor,
    warehouse: Warehouse | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    progress: IO[str] | None = None,
) -> FileResult:
    """Goods in: one receipt per center and reference, each filling the backorders waiting for it, in one
    transaction; a center's reference (delivery note) received before is left as it is. With `warehouse`, every
    row is received there (its `center` column optional)."""
    required = RECEIPT_REQUIRED if warehouse is None else tuple(c for c in RECEIPT_REQUIRED if c != "center")
    _, records, unreadable = csv_read(data, known=RECEIPT_COLUMNS, required=required, allow_attributes=False)
    result = FileResult(rows=len(records) + len(unreadable), errors=list(unreadable), dry_run=dry_run)
    if len(records) > MAX_RECEIPT_ROWS:
        raise ImportRejected(
            ImportErrorCode.INVALID_FILE,
            [RowError(records[MAX_RECEIPT_ROWS].line, "", f"more than {MAX_RECEIPT_ROWS} rows: split the file")],
        )
    if not records and not unreadable:
        raise ImportRejected(
            ImportErrorCode.INVALID_ROWS, [RowError(2, "", "no rows: the file has a header but nothing to receive")]
        )
    warehouses = {w.code.lower(): w for w in Warehouse.objects.filter(is_active=True)}
    variants = {
        v.sku.lower(): v.pk for v in Variant.objects.filter(sku__in=[r.cells.get("sku", "").strip() for r in records])
    }
    receipts: dict[tuple[int, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    with progress_bar(total=len(records), desc="Checking", stream=progress) as bar:
        for record in records:
            tick(bar)
            cells = Cells(record)
            code = cells.get("center", text_cell, max_length=16, required=warehouse is None)
            sku = cells.get("sku", text_cell, max_length=64, required=True)
            quantity = cells.get("quantity", whole_number_cell)
            reference = cells.get("reference", text_cell, max_length=MAX_REFERENCE) or ""
            if quantity is not None and not 1 <= quantity <= MAX_UNITS:
                cells.error("quantity", f"must be from 1 to {MAX_UNITS}")
            elif quantity is None and not any(e.column == "quantity" for e in cells.errors):
                cells.error("quantity", "required")
            if warehouse is not None and code and code.lower() != warehouse.code.lower():
                cells.error("center", f'"{code}" is another center: this file is received at {warehouse.code}')
            elif warehouse is None and code and code.lower() not in warehouses:
                cells.error("center", f'no active center "{code}"')
            if sku and sku.lower() not in variants:
                cells.error("sku", f'no product with SKU "{sku}"')
            if cells.errors:
                result.errors += cells.errors
                continue
            center = warehouse if warehouse is not None else warehouses[code.lower()]
            receipts[(center.pk, reference)][variants[sku.lower()]] += quantity
    _refuse_or_skip(result, skip_invalid=skip_invalid)
    by_pk = {w.pk: w for w in warehouses.values()}
    if warehouse is not None:
        by_pk[warehouse.pk] = warehouse
    with transaction.atomic():
        for (warehouse_id, reference), quantities in receipts.items():
            # A delivery note is received once: the same file (or the same note) imported again changes nothing.
            key = f"import:{by_pk[warehouse_id].code}:{reference}" if reference else ""
            if key and StockReceipt.objects.filter(idempotency_key=key).exists():
                result.unchanged += 1
                continue
            receipt = stock_receive(
                warehouse=by_pk[warehouse_id],
                quantities=quantities,
                reference=reference,
                actor=actor,
                idempotency_key=key,
            )
            result.receipts.append(receipt)
            result.done += 1
        if dry_run:
            transaction.set_rollback(True)
    return result


def deliveries_import(
    *, data: bytes, actor, skip_invalid: bool = False, dry_run: bool = False, progress: IO[str] | None = None
) -> FileResult:
    """Marks delivered the shipments a carrier's tracking events name (by carrier and tracking number)."""
    _, records, unreadable = csv_read(data, known=DELIVERY_COLUMNS, required=DELIVERY_REQUIRED, allow_attributes=False)
    result = FileResult(rows=len(records) + len(unreadable), errors=list(unreadable), dry_run=dry_run)
    numbers = [r.cells.get("tracking", "").strip() for r in records]
    shipments = defaultdict(list)
    for shipment in Shipment.objects.filter(tracking_number__in=numbers):
        shipments[(shipment.carrier, shipment.tracking_number)].append(shipment)
    to_deliver: list[tuple[Shipment, dt.datetime | None]] = []
    with progress_bar(total=len(records), desc="Checking", stream=progress) as bar:
        for record in records:
            tick(bar)
            cells = Cells(record)
            carrier = cells.get("carrier", _carrier_cell)
            tracking = cells.get("tracking", text_cell, max_length=64, required=True)
            delivered_at = cells.get("delivered_at", moment_cell)
            found = shipments.get((carrier, tracking), []) if carrier and tracking else []
            if carrier and tracking and not found:
                cells.error("tracking", f"no shipment with {carrier} tracking number {tracking}")
            for shipment in found:
                if delivered_at is not None and delivered_at < shipment.shipped_at:
                    cells.error("delivered_at", f"before shipment {shipment.number} left")
            if cells.errors:
                result.errors += cells.errors
                continue
            for shipment in found:
                if shipment.status == ShipmentStatus.DELIVERED:
                    result.unchanged += 1
                else:
                    to_deliver.append((shipment, delivered_at))
    _refuse_or_skip(result, skip_invalid=skip_invalid)
    if dry_run:
        result.done = len(to_deliver)
        return result
    for shipment, delivered_at in to_deliver:
        shipment_mark_delivered(shipment=shipment, actor=actor, delivered_at=delivered_at)
        result.done += 1
    return result
