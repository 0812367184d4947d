"""The `image` column of the products file: a picture for the row's product, by URL or by file path.

Pictures are fetched and checked before the import's transaction opens (no network or disk wait holds the
database), each source once; a source the catalog already holds (imported before, matched by the exact text
of the cell) is not fetched again. A picture that cannot be fetched or read is an error naming the row and the
column, like any bad cell. After the rows are written, each product gets the pictures of its rows that it does
not have yet, in file order, with their thumbnails (catalog.images).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from autosales.catalog.errors import CatalogError
from autosales.catalog.images import image_checked, image_fetch, product_image_add
from autosales.catalog.imports.rows import Record, RowError
from autosales.catalog.models import Product, ProductImage
from autosales.core.errors import DomainError

COLUMN = "image"
MAX_SOURCE_LENGTH = ProductImage._meta.get_field("source").max_length


def images_fetched(records: list[Record], *, root: Path | None) -> tuple[dict[str, bytes | None], list[RowError]]:
    """The pictures the file names, by source (None: already in the catalog, not fetched), and the rows' errors."""
    sources = {r.cells.get(COLUMN, "").strip() for r in records} - {""}
    known = set(ProductImage.objects.filter(source__in=sorted(sources)).values_list("source", flat=True))
    fetched: dict[str, bytes | None] = dict.fromkeys(known)
    failed: dict[str, str] = {}
    errors: list[RowError] = []
    for record in records:
        source = record.cells.get(COLUMN, "").strip()
        if not source or source in fetched:
            continue
        if source not in failed:
            try:
                if len(source) > MAX_SOURCE_LENGTH:
                    raise DomainError(
                        CatalogError.IMAGE_INVALID, f"is longer than {MAX_SOURCE_LENGTH} characters", field=COLUMN
                    )
                data = image_fetch(source, root=root, field=COLUMN)
                image_checked(data, field=COLUMN)
                fetched[source] = data
                continue
            except DomainError as exc:
                failed[source] = exc.message
        errors.append(RowError(record.line, COLUMN, failed[source]))
    return fetched, errors


def images_attach(*, sources_by_product: dict[str, list[str]], fetched: dict[str, bytes | None]) -> int:
    """Each product (by slug) gets the pictures of `sources_by_product` it does not have; returns how many."""
    products = Product.objects.in_bulk(list(sources_by_product), field_name="slug")
    have = set(
        ProductImage.objects.filter(product__slug__in=list(sources_by_product)).values_list("product__slug", "source")
    )
    added = 0
    for slug, sources in sources_by_product.items():
        for source in dict.fromkeys(sources):
            data = fetched.get(source)
            if (slug, source) in have or slug not in products:
                continue
            if data is None:  # held by another product: the same file, fetched once before
                data = ProductImage.objects.filter(source=source).first().image.read()
            name = PurePosixPath(urlsplit(source).path).name or "picture"
            product_image_add(product=products[slug], data=data, name=name, source=source)
            added += 1
    return added
