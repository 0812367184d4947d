"""Printed paper for the center's floor: the pick list of a batch of orders and one packing slip per order.

Both are PDFs made with fpdf2 from the queue's reads (`fulfillment.queue`), so they list exactly what is
allocated at the center: a pick list walks the center by bin, then SKU, with the units of each order; a
packing slip goes in the parcel with the delivery address and what the parcel holds and what is still to come.
The PDF core fonts (Helvetica) need no font files; they cover Latin-1, and other characters are written
with their closest Latin-1 spelling (see `_latin1`).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from autosales.core import clock
from autosales.core.timezones import time_zone_or_shop
from autosales.fulfillment.queue import QueueOrder
from autosales.inventory.models import Warehouse
from autosales.orders.models import Order

_SPELLINGS = str.maketrans(
    {
        "—": "-",
        "–": "-",
        "‒": "-",
        "−": "-",
        "×": "x",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "•": "*",
        "€": "EUR",
        "™": "(TM)",
        "\u00a0": " ",
    }
)
NO_BIN = "(no bin)"


def _latin1(text: str) -> str:
    """`text` in the characters the core fonts have: typographic marks spelled plainly, accents kept where
    Latin-1 has the letter, else dropped (ř -> r), anything else as "?"."""
    text = str(text).translate(_SPELLINGS)
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            out.append(base.strip() or "?")
    return "".join(out)


class _Paper(FPDF):
    def __init__(self, *, title: str):
        super().__init__(orientation="portrait", unit="mm", format="Letter")
        self.set_title(_latin1(title))
        self.set_author(_latin1(settings.SHOP["name"]))
        self.set_creator("autosales")
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(12, 12, 12)
        self.page_title = title

    def footer(self):
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 6, _latin1(f"{self.page_title} - page {self.page_no()}/{{nb}}"), align="C")

    def line_of(self, text: str, *, size: float = 10, style: str = "", height: float = 5.5) -> None:
        self.set_font("Helvetica", style=style, size=size)
        self.multi_cell(0, height, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _printed_at(warehouse: Warehouse) -> str:
    zone = ZoneInfo(time_zone_or_shop(warehouse.time_zone))
    return clock.now().astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _order_dates(order: Order) -> str:
    parts = []
    if order.ships_on:
        parts.append(f"ship by {order.ships_on:%a %Y-%m-%d}")
    if order.arrives_to:
        parts.append(f"arrives by {order.arrives_to:%a %Y-%m-%d}")
    if order.requested_delivery_date:
        parts.append(f"requested delivery {order.requested_delivery_date:%a %Y-%m-%d}")
    return ", ".join(parts)


@dataclass(frozen=True)
class PickRow:
    """One stop on the walk: a SKU in a bin, the units to take, and which order gets how many."""

    bin: str
    sku: str
    name: str
    units: int
    orders: tuple[tuple[str, int], ...]  # (order number for people, units)


def pick_rows(batch: Sequence[QueueOrder]) -> list[PickRow]:
    """The batch's units grouped by bin and SKU, in walking order (bins A-Z, then lines without a bin)."""
    grouped: dict[tuple[str, str], dict] = {}
    for entry in batch:
        for line in entry.lines:
            group = grouped.setdefault((line.bin, line.sku), {"name": line.name, "orders": defaultdict(int)})
            group["orders"][entry.order.number_display] += line.allocated
    rows = [
        PickRow(
            bin=bin_ or NO_BIN,
            sku=sku,
            name=group["name"],
            units=sum(group["orders"].values()),
            orders=tuple(group["orders"].items()),
        )
        for (bin_, sku), group in grouped.items()
    ]
    rows.sort(key=lambda r: (r.bin == NO_BIN, r.bin, r.sku))
    return rows


def pick_list_pdf(*, warehouse: Warehouse, batch: Sequence[QueueOrder]) -> bytes:
    """The pick list of `batch` at `warehouse`: every bin and SKU to visit, the units, and the orders they go to."""
    pdf = _Paper(title=f"Pick list {warehouse.code}")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.line_of(f"Pick list - {warehouse.code} {warehouse.name}", size=16, style="B", height=8)
    units = sum(entry.units for entry in batch)
    pdf.line_of(f"{len(batch)} order(s), {units} unit(s). Printed {_printed_at(warehouse)}.", size=10)
    pdf.ln(3)
    pdf.set_font("Helvetica", size=9)
    with pdf.table(
        col_widths=(22, 30, 62, 14, 52, 10),
        text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "LEFT", "CENTER"),
        line_height=5,
        first_row_as_headings=True,
    ) as table:
        header = table.row()
        for title in ("Bin", "SKU", "Item", "Units", "Orders", "OK"):
            header.cell(title)
        for row in pick_rows(batch):
            cells = table.row()
            cells.cell(_latin1(row.bin))
            cells.cell(_latin1(row.sku))
            cells.cell(_latin1(row.name))
            cells.cell(str(row.units))
            cells.cell(_latin1(", ".join(f"{number} x{units}" for number, units in row.orders)))
            cells.cell("")
    pdf.ln(4)
    pdf.line_of("Orders in this batch", size=11, style="B", height=6)
    pdf.set_font("Helvetica", size=9)
    with pdf.table(
        col_widths=(34, 70, 40, 16, 40),
        text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "LEFT"),
        line_height=5,
    ) as table:
        header = table.row()
        for title in ("Order", "Ship to", "Method", "Units", "Dates"):
            header.cell(title)
        for entry in batch:
            order = entry.order
            cells = table.row()
            cells.cell(_latin1(order.number_display))
            cells.cell(_latin1(f"{order.ship_name}, {order.ship_city} {order.ship_postal_code}"))
            cells.cell(_latin1(order.shipping_method_name))
            cells.cell(str(entry.units))
            cells.cell(_latin1(_order_dates(order)))
    return bytes(pdf.output())


def packing_slips_pdf(*, warehouse: Warehouse, batch: Sequence[QueueOrder]) -> bytes:
    """One page per order: where it goes, what this parcel from `warehouse` holds, and what is still to come."""
    pdf = _Paper(title=f"Packing slips {warehouse.code}")
    pdf.alias_nb_pages()
    shop = settings.SHOP
    for entry in batch:
        order = entry.order
        pdf.add_page()
        pdf.line_of(shop["name"], size=14, style="B", height=7)
        pdf.line_of(shop["address"], size=9, height=4.5)
        pdf.line_of(f"Ships from {warehouse.name} ({warehouse.code})", size=9, height=4.5)
        pdf.ln(4)
        pdf.line_of(f"Packing slip - order {order.number_display}", size=16, style="B", height=8)
        facts = [f"Placed {order.placed_at:%Y-%m-%d}" if order.placed_at else "", order.shipping_method_name]
        if order.customer_reference:
            facts.append(f"Your reference (PO): {order.customer_reference}")
        dates = _order_dates(order)
        if dates:
            facts.append(dates)
        pdf.line_of(" | ".join(f for f in facts if f), size=10)
        pdf.ln(3)
        pdf.line_of("Deliver to", size=11, style="B", height=6)
        for row in order.address_lines():
            pdf.line_of(row, size=10, height=5)
        if order.ship_phone:
            pdf.line_of(f"Phone {order.ship_phone}", size=10, height=5)
        pdf.ln(4)
        pdf.set_font("Helvetica", size=9)
        with pdf.table(
            col_widths=(34, 86, 22, 22, 26),
            text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
            line_height=5,
        ) as table:
            header = table.row()
            for title in ("SKU", "Item", "Ordered", "In parcel", "Still to come"):
                header.cell(title)
            here = {line.line_id: line.allocated for line in entry.lines}
            for line in order.lines.all():
                in_parcel = here.get(line.pk, 0)
                cells = table.row()
                cells.cell(_latin1(line.sku))
                cells.cell(_latin1(line.name))
                cells.cell(str(line.quantity))
                cells.cell(str(in_parcel))
                cells.cell(str(max(line.quantity_open - in_parcel, 0)))
        pdf.ln(4)
        pdf.line_of(
            "Items still to come ship separately; you will get an email with the tracking number for each parcel.",
            size=9,
        )
    return bytes(pdf.output())
