"""Catalog pages: home, category, search, product. Each page costs a fixed number of queries.

What every shopper with the same price lists sees alike (a page of product cards, a product's variants) is
built once and shared through the cache (core.cache_versions): a change to products, prices or stock makes
the next request build it again. A cached page costs only the shopper's session, user, organization,
price lists and cart.
"""

import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from autosales.catalog import selectors as catalog
from autosales.catalog.models import Product, ProductImage, Variant
from autosales.checkout.delivery import cheapest_transit, delivery_estimate
from autosales.core.cache_versions import CATALOG, KINDS, cached_for_versions, versions_key
from autosales.core.errors import DomainError, NotFound
from autosales.core.money import Money
from autosales.customers.selectors import organization_for_user
from autosales.inventory.selectors import (
    Availability,
    availability_of,
    available_by_variant,
    available_by_warehouse,
    available_totals,
)
from autosales.pricing.selectors import list_prices, price_list_key, unit_prices
from autosales.storefront.stock_counts import stock_counts_fill
from autosales.storefront.views.catalog_facets import facets_html, query_string, selection_of

PAGE_SIZE = 24
FEATURED_COUNT = 8


@dataclass(frozen=True, slots=True)
class ProductCard:
    """A product in a list: its lowest price for the customer and the units available over its variants."""

    product: Product
    price_from: Money | None
    has_price_range: bool
    availability: Availability
    variant_count: int
    image: ProductImage | None  # the first picture (its thumbnail is shown); None: the placeholder
    # The list price of the variant `price_from` is for, for a customer with contract prices ("list $13.99 · your
    # price $11.89"); None for everyone else.
    list_price: Money | None = None


@dataclass(frozen=True, slots=True)
class VariantRow:
    variant: Variant
    price: Money | None
    availability: Availability
    values: list[str]  # attribute values in the order of the page's attribute columns
    list_price: Money | None = None  # for a customer with contract prices: the list price beside its own


def _pictures(listing: str, product_ids: list[int]) -> dict:
    """The first pictures of a list's products, shared through the cache until the catalog changes: a stock or
    price change rebuilds the list without reading its pictures again."""
    return cached_for_versions(
        name="card-pictures",
        parts=(listing, *product_ids),
        kinds=(CATALOG,),
        build=lambda: catalog.first_images(product_ids=product_ids),
    )


def _product_cards(products: list[Product], organization, *, listing: str) -> list[ProductCard]:
    """Cards for products whose active variants are prefetched: two queries whatever the count (three when the
    pictures are not cached, one more for a customer with contract prices: the list prices)."""
    pictures = _pictures(listing, [p.id for p in products])
    variant_ids = [v.id for p in products for v in p.variants.all()]
    prices = unit_prices(variant_ids=variant_ids, organization=organization)
    listed = list_prices(variant_ids=variant_ids, organization=organization)
    units = available_by_variant(variant_ids=variant_ids)
    cards = []
    for product in products:
        priced = sorted(
            ((prices[v.id], v.id) for v in product.variants.all() if v.id in prices), key=lambda pair: pair[0].amount
        )
        cards.append(
            ProductCard(
                product=product,
                price_from=priced[0][0] if priced else None,
                has_price_range=len({money.amount for money, _ in priced}) > 1,
                availability=availability_of(
                    sum(units.get(v.id, 0) for v in product.variants.all()),
                    variant_ids=tuple(v.id for v in product.variants.all()),
                ),
                variant_count=len(product.variants.all()),
                image=pictures.get(product.id),
                list_price=listed.get(priced[0][1]) if priced else None,
            )
        )
    return cards


def _page_number(request) -> int:
    """The page asked for; anything but a number is the first page (as Paginator.get_page reads it)."""
    try:
        return int(request.GET.get("page", "1"))
    except ValueError:
        return 1


def _page(products, number: int) -> Page:
    """Page `number` of `products`. The first page reads one row more than it shows: when that row is not there,
    the list is all on the page and its length is the count, so no COUNT query runs (a search or a small
    category, the usual case, is then one query; on PostgreSQL the search's ranking is the costly part)."""
    paginator = Paginator(products, PAGE_SIZE)
    if number != 1:
        return paginator.get_page(number)
    rows = list(products[: PAGE_SIZE + 1])
    if len(rows) <= PAGE_SIZE:
        paginator.count = len(rows)
    return Page(rows[:PAGE_SIZE], 1, paginator)


def stock_counts_shown(organization) -> bool:
    """Exact stock counts are for signed-in business customers, when the shop allows it; the public sees words."""
    return organization is not None and settings.STOCK_COUNTS_FOR_BUSINESS


def _listing_html(*, name: str, parts: tuple, number: int, products, organization, template: str, context: dict) -> str:
    """Page `number` of product cards rendered with `template`, shared by requests with the same parts, price lists
    and stock wording."""
    counts = stock_counts_shown(organization)

    def build() -> str:
        page = _page(products(), number)
        cards = _product_cards(list(page.object_list), organization, listing=name)
        return render_to_string(template, {**context, "page": page, "cards": cards, "show_stock_counts": counts})

    key = (*parts, number, price_list_key(organization=organization), counts)
    html = cached_for_versions(name=name, parts=key, kinds=KINDS, build=build)
    return mark_safe(stock_counts_fill(html) if counts else html)


def _categories_top() -> list:
    """The top-level categories with their children, shared through the cache until the catalog changes."""
    return cached_for_versions(
        name="categories-top", parts=(), kinds=(CATALOG,), build=lambda: list(catalog.categories_top())
    )


def home(request):
    organization = organization_for_user(user=request.user)
    counts = stock_counts_shown(organization)

    def build() -> str:
        products = catalog.products_featured(limit=FEATURED_COUNT)
        return render_to_string(
            "storefront/_featured.html",
            {
                "cards": _product_cards(products, organization, listing="home"),
                "any_featured": any(p.is_featured for p in products),
                "show_stock_counts": counts,
            },
        )

    featured = cached_for_versions(
        name="home-featured", parts=(price_list_key(organization=organization), counts), kinds=KINDS, build=build
    )
    if counts:
        featured = stock_counts_fill(featured)
    return render(
        request,
        "storefront/home.html",
        {"categories": _categories_top(), "featured": mark_safe(featured)},
    )


def categories(request):
    return render(request, "storefront/categories.html", {"categories": _categories_top()})


def _category_header(*, slug: str) -> dict:
    current = catalog.category_by_slug(slug=slug)
    return {
        "category": current,
        "path": catalog.category_path(category=current),
        "children": list(current.children.all()),
    }


def category(request, slug: str):
    try:
        header = cached_for_versions(
            name="category-header", parts=(slug,), kinds=(CATALOG,), build=lambda: _category_header(slug=slug)
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    current = header["category"]
    names, selection = selection_of(request)
    listing = _listing_html(
        name="category-grid",
        parts=(current.pk, selection),
        number=_page_number(request),
        products=lambda: catalog.products_for_listing(category=current, selection=selection),
        organization=organization_for_user(user=request.user),
        template="storefront/_category_listing.html",
        context={"page_query": query_string([], selection), "filtered": bool(selection)},
    )
    facets = facets_html(
        name="category-facets",
        parts=(current.pk,),
        selection=selection,
        base=[],
        build=lambda: catalog.listing_facets(category=current, selection=selection, names=names),
    )
    return render(request, "storefront/category.html", {**header, "listing": listing, "facets": facets})


def _sku_target(query: str) -> str | None:
    """The product page of the variant whose SKU is exactly the query (any case), that variant chosen; else None."""
    variant = catalog.variant_by_sku(sku=query)
    if variant is None:
        return None
    return reverse("storefront:product", args=[variant.product.slug]) + "?" + urlencode({"sku": variant.sku})


def search(request):
    query = request.GET.get("q", "")
    context = {"query": query, "listing": "", "facets": "", "error": None}
    status = 200
    if query.strip():
        try:
            target = cached_for_versions(
                name="search-sku", parts=(query,), kinds=(CATALOG,), build=lambda: _sku_target(query)
            )
            if target is not None:
                return redirect(target)
            names, selection = selection_of(request)
            base = [("q", query)]
            context["listing"] = _listing_html(
                name="search-grid",
                parts=(query, selection),
                number=_page_number(request),
                products=lambda: catalog.products_for_listing(query=query, selection=selection),
                organization=organization_for_user(user=request.user),
                template="storefront/_search_listing.html",
                context={"query": query, "page_query": query_string(base, selection), "filtered": bool(selection)},
            )
            context["facets"] = facets_html(
                name="search-facets",
                parts=(),
                selection=selection,
                base=base,
                build=lambda: catalog.listing_facets(query=query, selection=selection, names=names),
            )
        except DomainError as exc:
            context["error"] = exc
            status = 400
    return render(request, "storefront/search.html", context, status=status)


def _product_page_data(*, slug: str, organization) -> dict:
    """The product, its breadcrumbs and its variant rows with the organization's prices and stock."""
    item = catalog.product_by_slug(slug=slug)
    variants = list(item.variants.all())
    ids = [v.id for v in variants]
    prices = unit_prices(variant_ids=ids, organization=organization)
    by_warehouse = available_by_warehouse(variant_ids=ids)
    units = available_totals(by_warehouse)
    columns: list[str] = []
    for variant in variants:
        for key in variant.attributes or {}:
            if key not in columns:
                columns.append(key)
    # A customer with contract prices sees the list price beside its own (the variant table).
    listed = list_prices(variant_ids=ids, organization=organization)
    rows = [
        VariantRow(
            variant=v,
            price=prices.get(v.id),
            availability=availability_of(units.get(v.id, 0), variant_ids=(v.id,)),
            values=[_attribute_text((v.attributes or {}).get(key)) for key in columns],
            list_price=listed.get(v.id),
        )
        for v in variants
    ]
    return {
        "product": item,
        "path": catalog.category_path(category=item.category),
        "columns": [key.replace("_", " ").capitalize() for key in columns],
        "rows": rows,
        "available_by_warehouse": by_warehouse,
    }


def product(request, slug: str):
    organization = organization_for_user(user=request.user)
    parts = (slug, price_list_key(organization=organization))
    try:
        data = cached_for_versions(
            name="product-page",
            parts=parts,
            kinds=KINDS,
            build=lambda: _product_page_data(slug=slug, organization=organization),
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    product_id = data["product"].pk
    images = cached_for_versions(
        name="product-pictures",
        parts=(product_id,),
        kinds=(CATALOG,),
        build=lambda: catalog.product_images(product_id=product_id),
    )
    counts = stock_counts_shown(organization)
    # The page's fixed parts are kept rendered ({% cache %} in product.html) under the key `data` was read under (the
    # product, the price lists, the language, the tokens of the data shown); with the cache away, under a key of
    # this request alone, never shared.
    fragment = versions_key(name="product-page", parts=parts, kinds=KINDS) or secrets.token_hex(16)
    response = render(
        request,
        "storefront/product.html",
        {
            **data,
            "images": images,
            "delivery": _product_delivery(data),
            "show_stock_counts": counts,
            "fragment": fragment,
        },
    )
    if counts:
        response.content = stock_counts_fill(response.content.decode()).encode()
    return response


def _product_delivery(data: dict):
    """When one unit of the first variant in stock would ship and arrive by the cheapest method (computed per
    request from the cached page data: the countdown moves, the page data does not)."""
    rows = data["rows"]
    row = next((r for r in rows if r.availability.units > 0), rows[0] if rows else None)
    if row is None:
        return None
    return delivery_estimate(
        quantities={row.variant.id: 1}, available=data["available_by_warehouse"], transit=cheapest_transit()
    )


def _attribute_text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
