"""Writes to the catalog."""

from collections.abc import Iterable

from django.db import connection, transaction

from autosales.catalog import search
from autosales.catalog.facets import attribute_pairs
from autosales.catalog.models import Product, ProductFacet, Variant
from autosales.core.cache_versions import CATALOG, versions_bump


def _variant_text(variant: Variant) -> list[str]:
    parts = [variant.sku, variant.name]
    for value in (variant.attributes or {}).values():
        if isinstance(value, list | tuple):
            parts.extend(str(v) for v in value)
        elif value is not None:
            parts.append(str(value))
    return parts


def _document(variants: Iterable[Variant]) -> str:
    parts: list[str] = []
    for variant in variants:
        if variant.is_active:
            parts.extend(_variant_text(variant))
    return " ".join(p for p in parts if p)


def _pairs(variants: Iterable[Variant]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for variant in variants:
        if variant.is_active:
            pairs |= attribute_pairs(variant.attributes)
    return pairs


def _facets_sync(wanted: dict[int, set[tuple[str, str]]]) -> set[int]:
    """The products' facet rows are `wanted` (product id -> its (name, value) pairs), in three queries at most;
    returns the ids of the products whose rows changed."""
    stale: list[int] = []
    touched: set[int] = set()
    have: dict[int, set[tuple[str, str]]] = {pid: set() for pid in wanted}
    for row_id, product_id, name, value in ProductFacet.objects.filter(product_id__in=list(wanted)).values_list(
        "id", "product_id", "name", "value"
    ):
        if (name, value) in wanted[product_id]:
            have[product_id].add((name, value))
        else:
            stale.append(row_id)
            touched.add(product_id)
    missing = [
        ProductFacet(product_id=pid, name=name, value=value)
        for pid, pairs in wanted.items()
        for name, value in sorted(pairs - have[pid])
    ]
    if stale:
        ProductFacet.objects.filter(id__in=stale).delete()
    if missing:
        ProductFacet.objects.bulk_create(missing, batch_size=1000)
    return touched | {row.product_id for row in missing}


def product_reindex(*, product: Product) -> None:
    """The product's search document holds its active variants' SKUs, names and attribute values, and its facet
    rows (catalog.facets) their attribute values."""
    variants = list(Variant.objects.filter(product=product).order_by("position", "id"))
    document = _document(variants)
    changed = bool(_facets_sync({product.id: _pairs(variants)}))
    if document != product.search_document:
        product.search_document = document
        product.save(update_fields=["search_document"])
        changed = True
    if changed:
        versions_bump(CATALOG)


def products_reindex(*, product_ids: Iterable[int], batch_size: int = 500) -> int:
    """Like product_reindex for many products, in a fixed number of queries per batch; returns how many changed."""
    ids = list(dict.fromkeys(product_ids))
    changed = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        products = {p.id: p for p in Product.objects.filter(id__in=chunk).only("id", "search_document")}
        variants: dict[int, list[Variant]] = {pid: [] for pid in products}
        for variant in Variant.objects.filter(product_id__in=chunk).order_by("product_id", "position", "id"):
            variants[variant.product_id].append(variant)
        stale = []
        for pid, product in products.items():
            document = _document(variants[pid])
            if document != product.search_document:
                product.search_document = document
                stale.append(product)
        Product.objects.bulk_update(stale, ["search_document"])
        facets_changed = _facets_sync({pid: _pairs(variants[pid]) for pid in products})
        changed += len({p.id for p in stale} | facets_changed)
    if changed:
        versions_bump(CATALOG)
    return changed


def search_index_rebuild() -> int:
    """Every product's search document is recomputed and the full-text index matches the product table."""
    with transaction.atomic():
        changed = products_reindex(product_ids=Product.objects.values_list("id", flat=True))
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                search.sqlite_index_install(cursor)
        versions_bump(CATALOG)
    return changed
