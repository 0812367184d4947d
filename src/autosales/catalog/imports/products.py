"""Importing the products file: categories, products, variants (by SKU) and list prices."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from autosales.catalog.imports.batches import UNSET, by_key, fields_set, rows_save, statistics_refresh_on_commit
from autosales.catalog.imports.images import images_attach, images_fetched
from autosales.catalog.imports.rows import (
    ATTRIBUTE_PREFIX,
    PRODUCT_COLUMNS,
    PRODUCT_REQUIRED,
    Cells,
    ImportErrorCode,
    ImportRejected,
    ImportResult,
    Record,
    RowError,
    boolean_cell,
    chunks,
    csv_read,
    derived_slug_cell,
    order_units_cell,
    price_cell,
    progress_bar,
    slug_cell,
    text_cell,
    tick,
    whole_number_cell,
)
from autosales.catalog.models import Category, Product, ProductFacet, Variant
from autosales.catalog.services import products_reindex
from autosales.core.cache_versions import CATALOG, PRICES, versions_bump
from autosales.pricing.models import Price, PriceList

# -- Products ----------------------------------------------------------------------------------------


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
    min_quantity: int | None = None
    pack_size: int | None = None
    attributes: dict[str, str | None] = field(default_factory=dict)
    slug_given: bool = True
    image: str = ""


def _product_row(record: Record, *, currency: str, attribute_columns: list[str]) -> tuple[_ProductRow | None, list]:
    cells = Cells(record)
    sku = cells.get("sku", text_cell, max_length=Variant._meta.get_field("sku").max_length, required=True)
    if sku and any(ch.isspace() for ch in sku):
        cells.error("sku", f'must not contain spaces: "{sku}"')
    product = cells.get("product", text_cell, max_length=Product._meta.get_field("name").max_length, required=True)
    category = cells.get("category", text_cell, max_length=Category._meta.get_field("name").max_length, required=True)
    product_slug = category_slug = None
    if product:
        product_slug = cells.get(
            "product_slug", slug_cell, name=product, max_length=Product._meta.get_field("slug").max_length
        )
        if not cells.has("product_slug"):
            product_slug = cells.get(
                "product", derived_slug_cell, max_length=Product._meta.get_field("slug").max_length
            )
    if category:
        category_slug = cells.get(
            "category_slug", slug_cell, name=category, max_length=Category._meta.get_field("slug").max_length
        )
        if not cells.has("category_slug"):
            category_slug = cells.get(
                "category", derived_slug_cell, max_length=Category._meta.get_field("slug").max_length
            )
    variant_name = cells.get("variant_name", text_cell, max_length=Variant._meta.get_field("name").max_length)
    brand = cells.get("brand", text_cell, max_length=Product._meta.get_field("brand").max_length)
    description = cells.get("description", str)
    price = cells.get("price", price_cell, currency=currency)
    row_currency = cells.get("currency", lambda v: v.strip().upper())
    if row_currency and row_currency != currency:
        cells.error("currency", f'the list prices are in {currency}, not "{row_currency}"')
    weight = cells.get("weight_grams", whole_number_cell)
    min_quantity = cells.get("min_quantity", order_units_cell)
    pack_size = cells.get("pack_size", order_units_cell)
    active = cells.get("active", boolean_cell)
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
            min_quantity=min_quantity,
            pack_size=pack_size,
            attributes=attributes,
            slug_given=bool(record.cells.get("product_slug", "").strip()),
            image=record.cells.get("image", "").strip(),
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


def products_import(
    *,
    data: bytes,
    skip_invalid: bool = False,
    dry_run: bool = False,
    progress: IO[str] | None = None,
    image_root: Path | None = None,
) -> ImportResult:
    """All valid rows are upserted by SKU in one transaction, or nothing is when a row is invalid and not skipped.

    `image` cells name a picture by URL, or by a path inside `image_root` (None: paths are refused).
    """
    columns, records, unreadable = csv_read(
        data, known=PRODUCT_COLUMNS, required=PRODUCT_REQUIRED, allow_attributes=True
    )
    errors = list(unreadable)
    pictures, picture_errors = images_fetched(records, root=image_root)
    errors += picture_errors
    attribute_columns = [c for c in columns if c.startswith(ATTRIBUTE_PREFIX)]
    with transaction.atomic():
        price_list = _default_price_list()
        rows: list[_ProductRow] = []
        with progress_bar(total=len(records), desc="Checking", stream=progress) as bar:
            for record in records:
                row, row_errors = _product_row(
                    record, currency=price_list.currency, attribute_columns=attribute_columns
                )
                errors += row_errors
                if row is not None:
                    rows.append(row)
                tick(bar)
        variants = by_key(Variant.objects.select_related("product"), "sku", [row.sku for row in rows])
        _slugs_of_existing_products(rows, variants)
        consistency, bad_lines = _consistency_errors(rows)
        errors += consistency
        bad_lines |= {e.line for e in picture_errors}
        rows = [row for row in rows if row.line not in bad_lines]
        errors.sort()
        if errors and not skip_invalid:
            raise ImportRejected(ImportErrorCode.INVALID_ROWS, errors)

        counts = _products_write(
            rows=rows, variants=variants, price_list=price_list, columns=set(columns), progress=progress
        )
        images = 0
        if not dry_run:  # a dry run writes no files: its transaction rolls back, files would stay
            sources: dict[str, list[str]] = {}
            for row in rows:
                if row.image:
                    sources.setdefault(row.product_slug, []).append(row.image)
            images = images_attach(sources_by_product=sources, fetched=pictures)
        versions_bump(CATALOG, PRICES)
        if dry_run:
            transaction.set_rollback(True)
        else:
            written = counts["created"] + counts["updated"]
            statistics_refresh_on_commit(Product, Variant, ProductFacet, Price, rows=written)
    skipped = len({e.line for e in errors})
    return ImportResult(
        rows=len(records) + len(unreadable),
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        skipped=skipped,
        errors=tuple(errors),
        dry_run=dry_run,
        images=images,
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
    categories = by_key(Category.objects.all(), "slug", list(category_names))
    new_categories, updated_categories = [], {}
    for slug, name in category_names.items():
        category = categories.get(slug)
        if category is None:
            category = categories[slug] = Category(slug=slug, name=name)
            new_categories.append(category)
        elif fields := fields_set(category, {"name": name}):
            updated_categories[category] = set(fields)
    rows_save(Category, new=new_categories, updated=updated_categories)

    # Products losing a variant to another product are touched too.
    variants = dict(variants)
    touched_products: set[int] = {v.product_id for v in variants.values()}

    # Products, by slug.
    first_rows: dict[str, _ProductRow] = {}
    for row in rows:
        first_rows.setdefault(row.product_slug, row)
    products = by_key(Product.objects.all(), "slug", list(first_rows))
    new_products, updated_products = [], {}
    for slug, row in first_rows.items():
        values = {
            "name": row.product,
            "category_id": categories[row.category_slug].pk,
            "brand": row.brand if has("brand") else UNSET,
            "description": row.description if has("description") else UNSET,
        }
        product = products.get(slug)
        if product is None:
            values = {k: v for k, v in values.items() if v is not UNSET}
            product = products[slug] = Product(slug=slug, **values)
            new_products.append(product)
        elif fields := fields_set(product, values):
            updated_products[product] = set(fields)
    rows_save(Product, new=new_products, updated=updated_products)

    # Variants: new ones go after the product's existing variants, in file order.
    next_position: dict[int, int] = {}
    for chunk in chunks([p.pk for p in products.values()]):
        next_position.update(
            Variant.objects.filter(product_id__in=chunk)
            .values("product_id")
            .annotate(last=Max("position"))
            .values_list("product_id", "last")
        )
    status: dict[str, str] = {}
    new_variants, updated_variants = [], {}
    with progress_bar(total=len(rows), desc="Importing", stream=progress) as bar:
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
                    min_quantity=row.min_quantity or 1,
                    pack_size=row.pack_size or 1,
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
                    "name": row.variant_name if has("variant_name") else UNSET,
                    "attributes": attributes,
                    "weight_grams": (row.weight_grams or 0) if has("weight_grams") else UNSET,
                    "min_quantity": (row.min_quantity or 1) if has("min_quantity") else UNSET,
                    "pack_size": (row.pack_size or 1) if has("pack_size") else UNSET,
                    "is_active": row.active if row.active is not None else UNSET,
                }
                fields = fields_set(variant, values)
                if fields:
                    updated_variants[variant] = set(fields)
                status[row.sku] = "updated" if fields else "unchanged"
            tick(bar)
    rows_save(Variant, new=new_variants, updated=updated_variants)

    # List prices (an empty price cell leaves the price as it is).
    price_wanted = {row.sku: row.price for row in rows if row.price is not None}
    existing: dict[int, Price] = {}
    for chunk in chunks([variants[sku].pk for sku in price_wanted]):
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
    rows_save(Price, new=new_prices, updated=updated_prices)

    # A product is active while any of its variants is (only when the file says which variants are).
    if has("active"):
        ids = sorted(touched_products)
        active_ids: set[int] = set()
        for chunk in chunks(ids):
            active_ids.update(
                Variant.objects.filter(product_id__in=chunk, is_active=True).values_list("product_id", flat=True)
            )
        activity = {}
        for chunk in chunks(ids):
            for product in Product.objects.filter(pk__in=chunk).only("id", "is_active"):
                if product.is_active != (product.pk in active_ids):
                    product.is_active = product.pk in active_ids
                    activity[product] = {"is_active"}
        rows_save(Product, new=[], updated=activity)

    products_reindex(product_ids=sorted(touched_products))
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for value in status.values():
        counts[value] += 1
    return counts
