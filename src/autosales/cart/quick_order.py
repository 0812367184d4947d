"""Quick order: many SKU + quantity lines, typed, pasted or uploaded as CSV, checked and added to the cart at once.

What a business buyer sends is read line by line (`quick_order_parse`), each line checked against the catalog,
the buyer's prices and the stock (`quick_order_check`), and added to the cart in one transaction
(`quick_order_add`). The rule a good wholesaler's portal follows: nothing is added while any line is wrong,
and each wrong line is named with its number and reason; the buyer fixes it, or asks to add only the good
lines (`skip_invalid`), a choice made knowingly rather than a silent partial add.

Checking and adding take a fixed number of queries whatever the number of lines: the variants by SKU, their
prices, their stock and the cart's lines are each read once; the new lines are written in one statement and
the lines already in the cart updated in another.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from autosales.cart.errors import CartError
from autosales.cart.models import Cart, CartLine
from autosales.cart.services import MAX_LINE_QUANTITY, order_quantity_problem
from autosales.catalog.models import Variant
from autosales.core.errors import NUL, DomainError
from autosales.core.money import Money
from autosales.customers.models import Organization
from autosales.inventory.selectors import available_by_variant
from autosales.pricing.selectors import unit_prices

# One quick order is a page of lines, not a catalog import: bigger lists go through the API or a salesperson.
MAX_LINES = 500
MAX_TEXT = 64_000
# A CSV file's first line may name its columns; any of these in the first column marks it as a header.
HEADER_WORDS = {"sku", "item", "item number", "part", "part number", "product", "code"}


@dataclass(frozen=True, slots=True)
class QuickOrderLine:
    """One line of what the buyer sent: its number (1-based, as their text or file counts it), what it said, and
    the verdict."""

    number: int
    text: str
    sku: str
    quantity: int | None
    variant: Variant | None = None
    unit_price: Money | None = None
    available: int = 0
    in_cart: int = 0
    error: str = ""
    # What the buyer should know that is no error (the quantity was added to a line already in the cart).
    note: str = ""
    # Units beyond what is in stock, ordered all the same (the product allows backorders).
    backordered: int = 0

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def line_total(self) -> Money | None:
        if self.unit_price is None or self.quantity is None:
            return None
        return self.unit_price * self.quantity

    def as_dict(self) -> dict:
        return {
            "line": self.number,
            "text": self.text,
            "sku": self.sku,
            "quantity": self.quantity,
            "ok": self.ok,
            "error": self.error,
            "note": self.note,
            "name": f"{self.variant.product.name} – {self.variant.name}" if self.variant else "",
            "unit_price": str(self.unit_price) if self.unit_price is not None else None,
            "available": self.available,
            "backordered": self.backordered,
        }


@dataclass(frozen=True, slots=True)
class QuickOrderCheck:
    lines: tuple[QuickOrderLine, ...]
    # A problem with the whole input (nothing sent, too many lines), rather than with one line.
    error: str = ""
    added: tuple[QuickOrderLine, ...] = field(default_factory=tuple)

    @property
    def bad_lines(self) -> list[QuickOrderLine]:
        return [line for line in self.lines if not line.ok]

    @property
    def good_lines(self) -> list[QuickOrderLine]:
        return [line for line in self.lines if line.ok]

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.lines) and not self.bad_lines

    @property
    def errors(self) -> list[str]:
        if self.error:
            return [self.error]
        return [f"Line {line.number} ({line.text}): {line.error}" for line in self.bad_lines]

    def as_dict(self) -> dict:
        return {"ok": self.ok, "error": self.error, "lines": [line.as_dict() for line in self.lines]}


def _split(row: str) -> tuple[list[str], bool]:
    """A line's cells, and whether a separator made them: a tab, a comma or a semicolon (what spreadsheets copy
    and CSV files hold), else spaces (what people type: "LB-A19-60 12")."""
    for separator in ("\t", ",", ";"):
        if separator in row:
            return [cell.strip() for cell in next(csv.reader([row], delimiter=separator))], True
    return row.split(), False


def _quantity(cell: str) -> int | None:
    text = cell.replace("\u00a0", "").replace(" ", "").strip()
    return int(text) if text.isdigit() else None


def quick_order_parse(text: str) -> tuple[list[QuickOrderLine], str]:
    """The buyer's lines (blank lines and a header row skipped) and an error about the whole input, if any.

    A line is "SKU quantity" (spaces, a tab, a comma or a semicolon between them); a line with a SKU alone
    means one unit. Columns after the quantity in a separated line (a CSV file's description, say) are
    ignored. Lines that cannot be read carry their error; nothing is looked up here.
    """
    if NUL in text:
        return [], "Lines: the text contains a NUL character."
    if len(text) > MAX_TEXT:
        return [], f"Lines: at most {MAX_TEXT:,} characters at once; split the list into several quick orders."
    lines: list[QuickOrderLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        row = raw.strip().lstrip("\ufeff").strip()
        if not row:
            continue
        cells, separated = _split(row)
        if not any(cells):
            continue
        sku = cells[0]
        if not lines and sku.lower() in HEADER_WORDS:
            continue
        if len(lines) >= MAX_LINES:
            return [], f"Lines: at most {MAX_LINES} lines in one quick order; split the list."
        if not sku:
            lines.append(QuickOrderLine(number, row, "", None, error="SKU: missing before the quantity."))
        elif len(sku) > 64:
            lines.append(QuickOrderLine(number, row[:80], sku[:64], None, error="SKU: longer than 64 characters."))
        elif len(cells) == 1 or (separated and not cells[1]):
            lines.append(QuickOrderLine(number, row, sku, 1))
        elif len(cells) > 2 and not separated:
            error = "Write the SKU, then the quantity, and nothing else."
            lines.append(QuickOrderLine(number, row, sku, None, error=error))
        elif separated and len(cells) > 2 and len(cells[2]) == 3 and cells[2].isdigit() and "," in row:
            # "LB-A19-60, 1,000": a thousands separator read as a column would order 1 unit, not 1,000.
            error = f"Quantity: write {cells[1]}{cells[2]} without a thousands separator."
            lines.append(QuickOrderLine(number, row, sku, None, error=error))
        elif (quantity := _quantity(cells[1])) is None:
            error = f"Quantity: {cells[1]!r} is not a whole number."
            lines.append(QuickOrderLine(number, row, sku, None, error=error))
        else:
            lines.append(QuickOrderLine(number, row, sku, quantity))
    if not lines:
        return [], "Lines: enter at least one SKU and quantity."
    return lines, ""


def quick_order_csv_text(data: bytes) -> str:
    """An uploaded CSV file's text (UTF-8, with or without a byte-order mark, or Windows-1252 as Excel saves
    it); raises DomainError naming the file when it is no text."""
    if len(data) > MAX_TEXT:
        raise DomainError(
            CartError.QUICK_ORDER_INVALID, f"File: at most {MAX_TEXT // 1000} kB; split the list.", "file"
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if NUL not in text:
            return text
    raise DomainError(CartError.QUICK_ORDER_INVALID, "File: not a CSV text file.", "file")


def _verdict(
    line: QuickOrderLine, *, variant, price, available: int, in_cart: int, asked_before: int
) -> QuickOrderLine:
    """The line with what the catalog, the prices and the stock say about it."""
    base = {"variant": variant, "unit_price": price, "available": available, "in_cart": in_cart}
    if line.error:
        return _replace(line, **base)
    if variant is None:
        return _replace(line, **base, error=f"SKU: no product has the SKU {line.sku!r}.")
    if not (variant.is_active and variant.product.is_active):
        return _replace(line, **base, error=f"SKU: {variant.sku} is no longer sold.")
    if price is None:
        return _replace(line, **base, error=f"SKU: {variant.sku} is not for sale at the moment.")
    quantity = line.quantity or 0
    if quantity < 1:
        return _replace(line, **base, error="Quantity: must be at least 1.")
    wanted = in_cart + asked_before + quantity
    if wanted > MAX_LINE_QUANTITY:
        return _replace(
            line, **base, error=f"Quantity: at most {MAX_LINE_QUANTITY:,} per SKU; contact us for larger orders."
        )
    held = (
        f" ({in_cart + asked_before:,} already in your cart or on an earlier line)" if in_cart or asked_before else ""
    )
    # What the cart's line will hold is what must be a whole number of packs, at least the minimum.
    problem = order_quantity_problem(variant=variant, quantity=wanted)
    if problem:
        return _replace(line, **base, error=f"Quantity: {problem.removesuffix('.')}{held}.")
    note = f"{in_cart:,} already in your cart; this adds {quantity:,}." if in_cart else ""
    if wanted > available:
        if variant.product.allows_backorder:
            short = wanted - max(available, 0)
            return _replace(line, **base, note=note, backordered=short)  # the cart and checkout say when the rest ships
        if available <= 0:
            return _replace(line, **base, error=f"Stock: {variant.sku} is out of stock.")
        return _replace(line, **base, error=f"Stock: only {available:,} of {variant.sku} available{held}.")
    return _replace(line, **base, note=note)


def _replace(line: QuickOrderLine, **changes) -> QuickOrderLine:
    values = {name: getattr(line, name) for name in QuickOrderLine.__slots__}
    values.update(changes)
    return QuickOrderLine(**values)


def quick_order_check(
    *, lines: Iterable[QuickOrderLine], cart: Cart | None, organization: Organization | None
) -> QuickOrderCheck:
    """Each line checked: the SKU exists and is for sale at a price for this buyer, the quantity (with what the
    cart and earlier lines hold of the same SKU) meets the variant's minimum and pack size and is in stock or may
    be backordered. Four queries."""
    lines = list(lines)
    skus = {line.sku for line in lines if not line.error}
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=skus).select_related("product")} if skus else {}
    # SKUs as people type them: a wrong case still finds the one variant it names.
    folded = {sku.casefold(): v for sku, v in variants.items()}
    missing = {sku for sku in skus if sku not in variants}
    if missing:
        for variant in Variant.objects.filter(_any_iexact(missing)).select_related("product"):
            folded.setdefault(variant.sku.casefold(), variant)
    ids = [v.id for v in folded.values()]
    prices = unit_prices(variant_ids=ids, organization=organization)
    stock = available_by_variant(variant_ids=ids)
    in_cart: dict[int, int] = {}
    if cart is not None and cart.pk is not None and ids:
        in_cart = dict(CartLine.objects.filter(cart=cart, variant_id__in=ids).values_list("variant_id", "quantity"))
    checked: list[QuickOrderLine] = []
    asked: dict[int, int] = {}
    for line in lines:
        variant = variants.get(line.sku) or folded.get(line.sku.casefold())
        vid = variant.id if variant is not None else None
        verdict = _verdict(
            _replace(line, sku=variant.sku) if variant is not None else line,
            variant=variant,
            price=prices.get(vid) if vid else None,
            available=stock.get(vid, 0) if vid else 0,
            in_cart=in_cart.get(vid, 0) if vid else 0,
            asked_before=asked.get(vid, 0) if vid else 0,
        )
        if verdict.ok and vid is not None:
            asked[vid] = asked.get(vid, 0) + (verdict.quantity or 0)
        checked.append(verdict)
    return QuickOrderCheck(lines=tuple(checked))


def _any_iexact(skus: set[str]) -> Q:
    condition = Q(pk__in=[])
    for sku in sorted(skus)[:MAX_LINES]:
        condition |= Q(sku__iexact=sku)
    return condition


def quick_order_text_check(*, text: str, cart: Cart | None, organization: Organization | None) -> QuickOrderCheck:
    """quick_order_parse then quick_order_check: what the page and its JSON endpoint show while the buyer types."""
    lines, error = quick_order_parse(text)
    if error:
        return QuickOrderCheck(lines=(), error=error)
    return quick_order_check(lines=lines, cart=cart, organization=organization)


def cart_add_many(
    *, cart: Cart, quantities: dict[int, int], organization: Organization | None, prices: dict | None = None
) -> None:
    """Adds units per variant id to the cart in one transaction: one statement creates the new lines and one
    updates those already there (with the price seen now). Callers check the variants first; `prices`: the
    variants' unit prices for the organization when the caller read them already."""
    if not quantities:
        return
    if prices is None:
        prices = unit_prices(variant_ids=quantities, organization=organization)
    with transaction.atomic():
        existing = {
            line.variant_id: line
            for line in CartLine.objects.select_for_update().filter(cart=cart, variant_id__in=list(quantities))
        }
        new, changed = [], []
        for variant_id, units in quantities.items():
            price = prices.get(variant_id)
            seen = {
                "price_seen": price.amount if price is not None else None,
                "price_seen_currency": price.currency if price is not None else "",
            }
            line = existing.get(variant_id)
            if line is None:
                new.append(CartLine(cart=cart, variant_id=variant_id, quantity=units, **seen))
                continue
            total = line.quantity + units
            if total > MAX_LINE_QUANTITY:
                raise DomainError(
                    CartError.QUANTITY_TOO_LARGE,
                    f"Quantity: at most {MAX_LINE_QUANTITY:,} per SKU; contact us for larger orders.",
                    "quantity",
                )
            line.quantity = total
            line.price_seen, line.price_seen_currency = seen["price_seen"], seen["price_seen_currency"]
            changed.append(line)
        if new:
            CartLine.objects.bulk_create(new)
        if changed:
            CartLine.objects.bulk_update(changed, ["quantity", "price_seen", "price_seen_currency"])


def quick_order_add(
    *, cart: Cart, text: str, organization: Organization | None, skip_invalid: bool = False
) -> QuickOrderCheck:
    """Checks every line and adds them to the cart, all or nothing: with any bad line nothing is added (the
    result names each), unless `skip_invalid` asks to add the good lines alone. Returns the check, with the
    lines added in `added`."""
    checked = quick_order_text_check(text=text, cart=cart, organization=organization)
    if checked.error or (checked.bad_lines and not skip_invalid):
        return checked
    good = checked.good_lines
    if not good:
        return checked
    quantities: dict[int, int] = {}
    for line in good:
        quantities[line.variant.id] = quantities.get(line.variant.id, 0) + (line.quantity or 0)
    prices = {line.variant.id: line.unit_price for line in good}
    cart_add_many(cart=cart, quantities=quantities, organization=organization, prices=prices)
    return QuickOrderCheck(lines=checked.lines, added=tuple(good))
