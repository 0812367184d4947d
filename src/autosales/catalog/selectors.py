"""Reads of the catalog. Every function returns in a fixed number of queries, whatever the row count."""

from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Value, When

from autosales.catalog import facets, search
from autosales.catalog.errors import CatalogError
from autosales.catalog.facets import Facet, Selection
from autosales.catalog.models import Category, Product, ProductImage, Variant
from autosales.core.errors import NotFound
from autosales.core.request_memo import request_memoized


def _active_variants() -> Prefetch:
    return Prefetch("variants", queryset=Variant.objects.filter(is_active=True).order_by("position", "id"))


def first_images(*, product_ids: list[int]) -> dict[int, ProductImage]:
    """Each product's first picture that has a thumbnail, by product id (one query; none for no ids)."""
    found: dict[int, ProductImage] = {}
    if product_ids:
        pictures = ProductImage.objects.filter(product_id__in=product_ids).exclude(thumbnail="")
        for image in pictures.order_by("product_id", "position", "id"):
            found.setdefault(image.product_id, image)
    return found


def product_images(*, product_id: int) -> list[ProductImage]:
    """The product's pictures that have a thumbnail, in display order (one query)."""
    return list(ProductImage.objects.filter(product_id=product_id).exclude(thumbnail="").order_by("position", "id"))


def _sku_match(raw: str):
    """2 when a variant's SKU is the query, 1 when it starts with it, else 0: SKU hits rank first."""
    if not raw or any(ch.isspace() for ch in raw):
        return Value(0, output_field=IntegerField())
    variants = Variant.objects.filter(product=OuterRef("pk"), is_active=True)
    return Case(
        When(Exists(variants.filter(sku__iexact=raw)), then=Value(2)),
        When(Exists(variants.filter(sku__istartswith=raw)), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def product_search(*, query: str) -> QuerySet[Product]:
    """Active products matching every word of `query` (as word prefixes), best first: SKU hits, then rank, then name.

    Raises DomainError (field "q") when the query is longer than search.MAX_QUERY_LENGTH; a query without
    words gives no products.
    """
    terms = search.search_terms(query)
    products = Product.objects.filter(is_active=True).select_related("category").prefetch_related(_active_variants())
    return (
        search.queryset_matching(products, terms)
        .annotate(sku_match=_sku_match(query.strip()))
        .order_by("-sku_match", "-search_rank", "name", "id")
    )


def products_for_listing(
    *, category: Category | None = None, query: str = "", selection: Selection = ()
) -> QuerySet[Product]:
    """Active products (of `category` and its sub-categories, with the facet values of `selection`), by relevance
    when `query` has words, else by name."""
    if query.strip():
        products = product_search(query=query)
    else:
        products = (
            Product.objects.filter(is_active=True)
            .select_related("category")
            .prefetch_related(_active_variants())
            .order_by("name", "id")
        )
    if category is not None:
        products = products.filter(category_id__in=category_descendant_ids(category=category))
    return facets.products_filtered(products, selection=selection)


def listing_facets(
    *, category: Category | None = None, query: str = "", selection: Selection = (), names: list[str]
) -> list[Facet]:
    """The facets (`names`, see facets.facet_names) of the list products_for_listing gives, with counts (two
    queries: the category tree and the counts)."""
    return facets.facets_for(products_for_listing(category=category, query=query), selection=selection, names=names)


def variant_by_sku(*, sku: str) -> Variant | None:
    """The active variant (of an active product) whose SKU is `sku`, any case, with its product; None when none or
    when the SKU matches two variants that differ only in case."""
    sku = sku.strip()
    if not sku or any(ch.isspace() for ch in sku):
        return None
    found = list(
        Variant.objects.filter(sku__iexact=sku, is_active=True, product__is_active=True).select_related("product")[:2]
    )
    exact = [v for v in found if v.sku == sku]
    if exact:
        return exact[0]
    return found[0] if len(found) == 1 else None


def products_in_order(*, ids: list[int]) -> list[Product]:
    """The active products with these ids, in this order, with their categories and active variants loaded
    (a page of a listing whose ids were kept in the cache)."""
    found = (
        Product.objects.filter(id__in=ids, is_active=True)
        .select_related("category")
        .prefetch_related(_active_variants())
    )
    by_id = {product.id: product for product in found}
    return [by_id[i] for i in ids if i in by_id]


def products_featured(*, limit: int = 8) -> list[Product]:
    """Featured active products by name; the newest active products when none is featured."""
    products = Product.objects.filter(is_active=True).select_related("category").prefetch_related(_active_variants())
    featured = list(products.filter(is_featured=True).order_by("name", "id")[:limit])
    if featured:
        return featured
    return list(products.order_by("-created_at", "-id")[:limit])


def product_by_slug(*, slug: str) -> Product:
    """The active product with this slug, its category and active variants loaded; raises NotFound."""
    product = (
        Product.objects.filter(is_active=True, slug=slug)
        .select_related("category")
        .prefetch_related(_active_variants())
        .first()
    )
    if product is None:
        raise NotFound(CatalogError.PRODUCT_NOT_FOUND, f"There is no product '{slug}'.", field="slug")
    return product


def category_by_slug(*, slug: str) -> Category:
    """The category with this slug; raises NotFound."""
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise NotFound(CatalogError.CATEGORY_NOT_FOUND, f"There is no category '{slug}'.", field="category")
    return category


def categories_top() -> QuerySet[Category]:
    """Top-level categories in display order, their children prefetched."""
    return Category.objects.filter(parent__isnull=True).prefetch_related("children").order_by("position", "name")


def _parents() -> dict[int, int | None]:
    """Each category's parent id (one query, asked once per request: a page's list and its facets both need it)."""
    return request_memoized("catalog_category_parents", lambda: dict(Category.objects.values_list("id", "parent_id")))


def category_descendant_ids(*, category: Category) -> list[int]:
    """The category's id and those of all categories below it (one query over the category tree)."""
    children: dict[int | None, list[int]] = {}
    for cid, parent_id in _parents().items():
        children.setdefault(parent_id, []).append(cid)
    found, stack = [], [category.id]
    while stack:
        cid = stack.pop()
        if cid in found:  # a cycle typed into the admin must not loop forever
            continue
        found.append(cid)
        stack.extend(children.get(cid, []))
    return found


def category_path(*, category: Category) -> list[Category]:
    """The categories from the top down to `category` itself, for breadcrumbs (one query)."""
    by_id = {c.id: c for c in Category.objects.only("id", "name", "slug", "parent_id")}
    path: list[Category] = []
    current: Category | None = by_id.get(category.id, category)
    while current is not None and current not in path:
        path.append(current)
        current = by_id.get(current.parent_id) if current.parent_id else None
    return list(reversed(path))
