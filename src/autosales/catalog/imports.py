"""Import products and stock levels from CSV.

Every row is checked first, collecting each problem with its line, column and reason; only then are the
writes made, in one transaction and in batches. A file with invalid rows writes nothing unless the caller
asks to skip them. Rows are matched to the catalog by SKU (and stock rows by SKU and warehouse), so
importing a file twice changes nothing the second time.

Products file, one row per variant (SKU):
    sku, product, product_slug, category, category_slug, variant_name, brand, description, price, currency,
    weight_grams, active, and `attr:<name>` for each attribute.
Only sku, product and category are required. A column left out of the file leaves that field as it is on
existing variants; an empty `attr:` cell removes that attribute; an empty price leaves the price as it is.
A product is active while any of its variants is active.

Stock file: sku, warehouse (its code), on_hand.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import IO, Any

from django.conf import settings
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from tqdm import tqdm

from autosales.catalog.models import Category, Product, Variant
from autosales.catalog.services import products_reindex
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from autosales.inventory.models import StockLevel, Warehouse
from autosales.pricing.models import Price, PriceList

PRODUCT_COLUMNS = (
    "sku",
    "product",
    "product_slug",
    "category",
    "category_slug",
    "variant_name",
    "brand",
    "description",
    "price",
    "currency",
    "weight_grams",
    "active",
)
PRODUCT_REQUIRED = ("sku", "product", "category")
ATTRIBUTE_PREFIX = "attr:"
STOCK_COLUMNS = ("sku", "warehouse", "on_hand")

BATCH_SIZE = 1000
# Keeps `IN (...)` lists under SQLite's historical limit of 999 parameters.
LOOKUP_CHUNK = 900
# Files at least this long show a progress bar.
PROGRESS_MIN_ROWS = 1000

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}
_PLAIN_NUMBER = re.compile(r"\d+(\.\d+)?")
_MAX_INT = 2_147_483_647


class ImportErrorCode(StrEnum):
    INVALID_ROWS = "import_invalid_rows"
    INVALID_FILE = "import_invalid_file"


@dataclass(frozen=True, order=True)
class RowError:
    """One problem in an import file: where it is and why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}" if self.column else f"line {self.line}"
        return f"{where}: {self.reason}"


class ImportRejected(DomainError):
    """The file was not imported; `errors` lists every problem found."""

    def __init__(self, code: ImportErrorCode, errors: Sequence[RowError]):
        self.errors = tuple(sorted(errors))
        lines = {e.line for e in self.errors}
        message = f"{len(self.errors)} problem(s) on {len(lines)} line(s); nothing was imported"
        first = self.errors[0] if self.errors else None
        super().__init__(code, message, field=first.column if first else None)


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, on a dry run, would do)."""

    rows: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    errors: tuple[RowError, ...]
    dry_run: bool


# -- Reading -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    line: int
    cells: dict[str, str]


def _read(data: bytes, *, known: Iterable[str], required: Iterable[str], allow_attributes: bool):
    """The header and the records of a CSV file; raises ImportRejected when the file itself is unusable."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRejected(
            ImportErrorCode.INVALID_FILE, [RowError(line, "", "the file is not UTF-8 text (save it as CSV UTF-8)")]
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportRejected(ImportErrorCode.INVALID_FILE, [RowError(1, "", f"not valid CSV: {exc}")]) from exc
    if not header or not any(h.strip() for h in header):
        raise ImportRejected(ImportErrorCode.INVALID_FILE, [RowError(1, "", "the file is empty (no header row)")])

    columns = [h.strip() for h in header]
    problems = []
    known = set(known)
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            problems.append(RowError(1, name, "duplicate column"))
        seen.add(name)
        if name.startswith(ATTRIBUTE_PREFIX) and allow_attributes:
            if not name[len(ATTRIBUTE_PREFIX) :].strip():
                problems.append(RowError(1, name, "an attribute column needs a name after 'attr:'"))
        elif name not in known:
            expected = ", ".join(sorted(known)) + (", attr:<name>" if allow_attributes else "")
            problems.append(RowError(1, name, f"unknown column (expected: {expected})"))
    problems += [RowError(1, name, "missing column") for name in required if name not in seen]
    if problems:
        raise ImportRejected(ImportErrorCode.INVALID_FILE, problems)

    records: list[_Record] = []
    row_errors: list[RowError] = []
    line = 1
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportRejected(
                ImportErrorCode.INVALID_FILE, [RowError(reader.line_num, "", f"not valid CSV: {exc}")]
            ) from exc
        line = reader.line_num
        if not values or not any(v.strip() for v in values):
            continue
        if len(values) != len(columns):
            row_errors.append(RowError(start, "", f"{len(values)} values, but the header has {len(columns)} columns"))
            continue
        records.append(_Record(start, dict(zip(columns, values, strict=True))))
    return columns, records, row_errors


def _progress(*, total: int, desc: str, stream: IO[str] | None):
    if stream is None or total < PROGRESS_MIN_ROWS:
        return nullcontext(None)
    return tqdm(total=total, desc=desc, unit=" rows", file=stream, mininterval=0.5, leave=True)


def _tick(bar, n: int = 1) -> None:
    if bar is not None:
        bar.update(n)


def _chunks(items: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- Cell parsers: each returns the value or raises ValueError with the reason -------------------------


def _text(value: str, *, max_length: int, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise ValueError("required")
    if len(value) > max_length:
        raise ValueError(f"too long ({len(value)} characters, at most {max_length})")
    return value


def _slug(value: str, *, name: str, max_length: int) -> str:
    value = value.strip()
    if not value:
        value = slugify(name)[:max_length].strip("-")
        if not value:
            raise ValueError(f"cannot make a slug from {name!r}: give one")
        return value
    if len(value) > max_length:
        raise ValueError(f"too long ({len(value)} characters, at most {max_length})")
    try:
        validate_slug(value)
    except Exception as exc:
        raise ValueError(f'not a slug (letters, digits, "-" and "_" only): "{value}"') from exc
    return value


def _derived_slug(name: str, *, max_length: int) -> str:
    """The slug made from a name, for files without a slug column."""
    return _slug("", name=name.strip(), max_length=max_length)


def _price(value: str) -> Decimal | None:
    value = value.strip()
    if not value:
        return None
    if not _PLAIN_NUMBER.fullmatch(value):
        if value.startswith("-") and _PLAIN_NUMBER.fullmatch(value[1:]):
            raise ValueError(f'must not be negative: "{value}"')
        raise ValueError(f'not a number: "{value}"')
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f'not a number: "{value}"') from exc
    decimals = len(value.partition(".")[2])
    if decimals > MONEY_DECIMAL_PLACES:
        raise ValueError(f'more than {MONEY_DECIMAL_PLACES} decimal places: "{value}"')
    if len(value.partition(".")[0].lstrip("0")) > MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES:
        raise ValueError(f'too large: "{value}"')
    return amount


def _whole_number(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or not value.isascii():
        if value.startswith("-") and value[1:].isdigit():
            raise ValueError(f'must not be negative: "{value}"')
        raise ValueError(f'not a whole number: "{value}"')
    number = int(value)
    if number > _MAX_INT:
        raise ValueError(f'too large: "{value}"')
    return number


def _boolean(value: str) -> bool | None:
    value = value.strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f'not true or false: "{value}"')


class _Cells:
    """Parses the cells of one record, collecting errors instead of stopping at the first."""

    def __init__(self, record: _Record):
        self.record = record
        self.errors: list[RowError] = []

    def has(self, column: str) -> bool:
        return column in self.record.cells

    def get(self, column: str, parse, *args, **kwargs):
        if column not in self.record.cells:
            return None
        try:
            return parse(self.record.cells[column], *args, **kwargs)
        except ValueError as exc:
            self.errors.append(RowError(self.record.line, column, str(exc)))
            return None

    def error(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.record.line, column, reason))


# -- Products ----------------------------------------------------------------------------------------

_UNSET: Any = object()


@dataclass
class _ProductRow:
    line: int
    sku: str
    product: str
    product_slug: str
    category: str
    category_slug: str
    variant_name: str | None
    brand: str | None
    description: str | None
    price: Decimal | None
    weight_grams: int | None
    active: bool | None
    attributes: dict[str, str | None] = field(default_factory=dict)
    slug_given: bool = True


def _product_row(record: _Record, *, currency: str, attribute_columns: list[str]) -> tuple[_ProductRow | None, list]:
    cells = _Cells(record)
    sku = cells.get("sku", _text, max_length=Variant._meta.get_field("sku").max_length, required=True)
    if sku and any(ch.isspace() for ch in sku):
        cells.error("sku", f'must not contain spaces: "{sku}"')
    product = cells.get("product", _text, max_length=Product._meta.get_field("name").max_length, required=True)
    category = cells.get("category", _text, max_length=Category._meta.get_field("name").max_length, required=True)
    product_slug = category_slug = None
    if product:
        product_slug = cells.get(
            "product_slug", _slug, name=product, max_length=Product._meta.get_field("slug").max_length
        )
        if not cells.has("product_slug"):
            product_slug = cells.get("product", _derived_slug, max_length=Product._meta.get_field("slug").max_length)
    if category:
        category_slug = cells.get(
            "category_slug", _slug, name=category, max_length=Category._meta.get_field("slug").max_length
        )
        if not cells.has("category_slug"):
            category_slug = cells.get("category", _derived_slug, max_length=Category._meta.get_field("slug").max_length)
    variant_name = cells.get("variant_name", _text, max_length=Variant._meta.get_field("name").max_length)
    brand = cells.get("brand", _text, max_length=Product._meta.get_field("brand").max_length)
    description = cells.get("description", str)
    price = cells.get("price", _price)
    row_currency = cells.get("currency", lambda v: v.strip().upper())
    if row_currency and row_currency != currency:
        cells.error("currency", f'the list prices are in {currency}, not "{row_currency}"')
    weight = cells.get("weight_grams", _whole_number)
    active = cells.get("active", _boolean)
    attributes = {}
    for column in attribute_columns:
        value = record.cells[column].strip()
        attributes[column[len(ATTRIBUTE_PREFIX) :].strip()] = value or None
    if cells.errors:
        return None, cells.errors
    return (
        _ProductRow(
            line=record.line,
            sku=sku,
            product=product,
            product_slug=product_slug,
            category=category,
            category_slug=category_slug,
            variant_name=variant_name,
            brand=brand,
            description=description,
            price=price,
            weight_grams=weight,
            active=active,
            attributes=attributes,
            slug_given=bool(record.cells.get("product_slug", "").strip()),
        ),
        [],
    )


def _consistency_errors(rows: list[_ProductRow]) -> tuple[list[RowError], set[int]]:
    """Rows of one product must agree on the product's fields, rows of one category on its name, SKUs be unique."""
    errors: list[RowError] = []
    bad_lines: set[int] = set()
    first_by_sku: dict[str, _ProductRow] = {}
    first_by_product: dict[str, _ProductRow] = {}
    first_by_category: dict[str, _ProductRow] = {}
    for row in rows:
        problems = []
        if row.sku in first_by_sku:
            problems.append(("sku", f'duplicate SKU "{row.sku}", already on line {first_by_sku[row.sku].line}'))
        else:
            first_by_sku[row.sku] = row
        first = first_by_product.setdefault(row.product_slug, row)
        if first is not row:
            for column, attr in (
                ("product", "product"),
                ("category_slug", "category_slug"),
                ("brand", "brand"),
                ("description", "description"),
            ):
                if getattr(row, attr) != getattr(first, attr):
                    problems.append((column, f'differs from line {first.line} for product "{row.product_slug}"'))
        first_category = first_by_category.setdefault(row.category_slug, row)
        if first_category is not row and row.category != first_category.category:
            problems.append(("category", f'differs from line {first_category.line} for category "{row.category_slug}"'))
        if problems:
            bad_lines.add(row.line)
            errors += [RowError(row.line, column, reason) for column, reason in problems]
    return errors, bad_lines


def _default_price_list() -> PriceList:
    price_list = PriceList.objects.filter(is_default=True).first()
    if price_list is None:
        price_list = PriceList.objects.create(name="List prices", is_default=True, currency=settings.CURRENCY)
    return price_list


def _by_key(queryset, key: str, values: Sequence[Any]) -> dict[Any, Any]:
    found = {}
    for chunk in _chunks(values):
        for obj in queryset.filter(**{f"{key}__in": chunk}):
            found[getattr(obj, key)] = obj
    return found


def _changed(obj, values: dict[str, Any]) -> list[str]:
    """Sets `values` on `obj`; returns the names of the fields that really changed."""
    changed = []
    for name, value in values.items():
        if value is _UNSET:
            continue
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _save(model, *, new: list, updated: dict[Any, set[str]]) -> None:
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


def products_import(
    *, data: bytes, skip_invalid: bool = False, dry_run: bool = False, progress: IO[str] | None = None
) -> ImportResult:
    """All valid rows are upserted by SKU in one transaction, or nothing is when a row is invalid and not skipped."""
    columns, records, unreadable = _read(data, known=PRODUCT_COLUMNS, required=PRODUCT_REQUIRED, allow_attributes=True)
    errors = list(unreadable)
    attribute_columns = [c for c in columns if c.startswith(ATTRIBUTE_PREFIX)]
    with transaction.atomic():
        price_list = _default_price_list()
        rows: list[_ProductRow] = []
        with _progress(total=len(records), desc="Checking", stream=progress) as bar:
            for record in records:
                row, row_errors = _product_row(
                    record, currency=price_list.currency, attribute_columns=attribute_columns
                )
                errors += row_errors
                if row is not None:
                    rows.append(row)
                _tick(bar)
        variants = _by_key(Variant.objects.select_related("product"), "sku", [row.sku for row in rows])
        _slugs_of_existing_products(rows, variants)
        consistency, bad_lines = _consistency_errors(rows)
        errors += consistency
        rows = [row for row in rows if row.line not in bad_lines]
        errors.sort()
        if errors and not skip_invalid:
            raise ImportRejected(ImportErrorCode.INVALID_ROWS, errors)

        counts = _products_write(
            rows=rows, variants=variants, price_list=price_list, columns=set(columns), progress=progress
        )
        if dry_run:
            transaction.set_rollback(True)
    skipped = len({e.line for e in errors})
    return ImportResult(
        rows=len(records) + len(unreadable),
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        skipped=skipped,
        errors=tuple(errors),
        dry_run=dry_run,
    )


def _slugs_of_existing_products(rows: list[_ProductRow], variants: dict[str, Variant]) -> None:
    """Rows without a product slug belong to the product their SKU already has, so renaming keeps the product."""
    slug_by_name: dict[str, str] = {}
    for row in rows:
        if not row.slug_given and row.sku in variants:
            slug_by_name.setdefault(row.product, variants[row.sku].product.slug)
    for row in rows:
        if not row.slug_given and row.product in slug_by_name:
            row.product_slug = slug_by_name[row.product]


def _products_write(
    *, rows: list[_ProductRow], variants: dict[str, Variant], price_list: PriceList, columns: set[str], progress
) -> dict[str, int]:
    """Upserts categories, products, variants and list prices for `rows` (already valid and consistent)."""
    has = columns.__contains__

    # Categories, by slug.
    category_names = {row.category_slug: row.category for row in rows}
    categories = _by_key(Category.objects.all(), "slug", list(category_names))
    new_categories, updated_categories = [], {}
    for slug, name in category_names.items():
        category = categories.get(slug)
        if category is None:
            category = categories[slug] = Category(slug=slug, name=name)
            new_categories.append(category)
        elif fields := _changed(category, {"name": name}):
            updated_categories[category] = set(fields)
    _save(Category, new=new_categories, updated=updated_categories)

    # Products losing a variant to another product are touched too.
    variants = dict(variants)
    touched_products: set[int] = {v.product_id for v in variants.values()}

    # Products, by slug.
    first_rows: dict[str, _ProductRow] = {}
    for row in rows:
        first_rows.setdefault(row.product_slug, row)
    products = _by_key(Product.objects.all(), "slug", list(first_rows))
    new_products, updated_products = [], {}
    for slug, row in first_rows.items():
        values = {
            "name": row.product,
            "category_id": categories[row.category_slug].pk,
            "brand": row.brand if has("brand") else _UNSET,
            "description": row.description if has("description") else _UNSET,
        }
        product = products.get(slug)
        if product is None:
            values = {k: v for k, v in values.items() if v is not _UNSET}
            product = products[slug] = Product(slug=slug, **values)
            new_products.append(product)
        elif fields := _changed(product, values):
            updated_products[product] = set(fields)
    _save(Product, new=new_products, updated=updated_products)

    # Variants: new ones go after the product's existing variants, in file order.
    next_position: dict[int, int] = {}
    for chunk in _chunks([p.pk for p in products.values()]):
        next_position.update(
            Variant.objects.filter(product_id__in=chunk)
            .values("product_id")
            .annotate(last=Max("position"))
            .values_list("product_id", "last")
        )
    status: dict[str, str] = {}
    new_variants, updated_variants = [], {}
    with _progress(total=len(rows), desc="Importing", stream=progress) as bar:
        for row in rows:
            product = products[row.product_slug]
            touched_products.add(product.pk)
            variant = variants.get(row.sku)
            if variant is None:
                position = next_position.get(product.pk, -1) + 1
                next_position[product.pk] = position
                variants[row.sku] = Variant(
                    product=product,
                    sku=row.sku,
                    name=row.variant_name or "",
                    attributes={k: v for k, v in row.attributes.items() if v is not None},
                    weight_grams=row.weight_grams or 0,
                    is_active=row.active is not False,
                    position=position,
                )
                new_variants.append(variants[row.sku])
                status[row.sku] = "created"
            else:
                attributes = dict(variant.attributes or {})
                for name, value in row.attributes.items():
                    if value is None:
                        attributes.pop(name, None)
                    else:
                        attributes[name] = value
                values = {
                    "product_id": product.pk,
                    "name": row.variant_name if has("variant_name") else _UNSET,
                    "attributes": attributes,
                    "weight_grams": (row.weight_grams or 0) if has("weight_grams") else _UNSET,
                    "is_active": row.active if row.active is not None else _UNSET,
                }
                fields = _changed(variant, values)
                if fields:
                    updated_variants[variant] = set(fields)
                status[row.sku] = "updated" if fields else "unchanged"
            _tick(bar)
    _save(Variant, new=new_variants, updated=updated_variants)

    # List prices (an empty price cell leaves the price as it is).
    price_wanted = {row.sku: row.price for row in rows if row.price is not None}
    existing: dict[int, Price] = {}
    for chunk in _chunks([variants[sku].pk for sku in price_wanted]):
        existing.update((p.variant_id, p) for p in Price.objects.filter(price_list=price_list, variant_id__in=chunk))
    new_prices, updated_prices = [], {}
    for sku, amount in price_wanted.items():
        variant = variants[sku]
        price = existing.get(variant.pk)
        if price is None:
            new_prices.append(Price(price_list=price_list, variant=variant, amount=amount))
        elif price.amount != amount:
            price.amount = amount
            updated_prices[price] = {"amount"}
        else:
            continue
        if status[sku] == "unchanged":
            status[sku] = "updated"
    _save(Price, new=new_prices, updated=updated_prices)

    # A product is active while any of its variants is (only when the file says which variants are).
    if has("active"):
        ids = sorted(touched_products)
        active_ids: set[int] = set()
        for chunk in _chunks(ids):
            active_ids.update(
                Variant.objects.filter(product_id__in=chunk, is_active=True).values_list("product_id", flat=True)
            )
        activity = {}
        for chunk in _chunks(ids):
            for product in Product.objects.filter(pk__in=chunk).only("id", "is_active"):
                if product.is_active != (product.pk in active_ids):
                    product.is_active = product.pk in active_ids
                    activity[product] = {"is_active"}
        _save(Product, new=[], updated=activity)

    products_reindex(product_ids=sorted(touched_products))
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for value in status.values():
        counts[value] += 1
    return counts


# -- Stock -------------------------------------------------------------------------------------------


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
    _, records, unreadable = _read(data, known=STOCK_COLUMNS, required=STOCK_COLUMNS, allow_attributes=False)
    errors = list(unreadable)
    with transaction.atomic():
        warehouses = {w.code: w for w in Warehouse.objects.all()}
        parsed: list[_StockRow] = []
        for record in records:
            cells = _Cells(record)
            sku = cells.get("sku", _text, max_length=Variant._meta.get_field("sku").max_length, required=True)
            code = cells.get("warehouse", _text, max_length=Warehouse._meta.get_field("code").max_length, required=True)
            on_hand = cells.get("on_hand", _whole_number)
            if on_hand is None and not any(e.column == "on_hand" for e in cells.errors):
                cells.error("on_hand", "required")
            if code and code not in warehouses:
                known = ", ".join(sorted(warehouses)) or "none yet"
                cells.error("warehouse", f'no warehouse with code "{code}" (known: {known})')
            errors += cells.errors
            if not cells.errors:
                parsed.append(_StockRow(record.line, sku, code, on_hand))

        variants = {}
        for chunk in _chunks(sorted({row.sku for row in parsed})):
            variants.update(Variant.objects.filter(sku__in=chunk).values_list("sku", "pk"))
        # Locked, in primary-key order, so allocations cannot change under the check below.
        levels: dict[tuple[int, int], StockLevel] = {}
        for chunk in _chunks(sorted(set(variants.values()))):
            for level in StockLevel.objects.select_for_update().filter(variant_id__in=chunk).order_by("pk"):
                levels[(level.warehouse_id, level.variant_id)] = level

        rows: list[_StockRow] = []
        first_line: dict[tuple[str, str], int] = {}
        with _progress(total=len(parsed), desc="Checking", stream=progress) as bar:
            for row in parsed:
                _tick(bar)
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
        _save(StockLevel, new=new_levels, updated=updated_levels)
        if dry_run:
            transaction.set_rollback(True)
    return ImportResult(
        rows=len(records) + len(unreadable),
        created=len(new_levels),
        updated=len(updated_levels),
        unchanged=unchanged,
        skipped=len({e.line for e in errors}),
        errors=tuple(errors),
        dry_run=dry_run,
    )
