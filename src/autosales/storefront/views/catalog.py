"""Catalog pages: home, category, search, product. Each page costs a fixed number of queries."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import render

from autosales.catalog import selectors as catalog
from autosales.catalog.models import Product, Variant
from autosales.core.errors import DomainError, NotFound
from autosales.core.money import Money
from autosales.customers.selectors import organization_for_user
from autosales.inventory.selectors import Availability, availability_of, available_by_variant
from autosales.pricing.selectors import unit_prices

PAGE_SIZE = 24
FEATURED_COUNT = 8


@dataclass(frozen=True, slots=True)
class ProductCard:
    """A product in a list: its lowest price for the customer and the units available over its variants."""

    product: Product
    price_from: Money | None
    has_price_range: bool
    availability: Availability


@dataclass(frozen=True, slots=True)
class VariantRow:
    variant: Variant
    price: Money | None
    availability: Availability
    values: list[str]  # attribute values in the order of the page's attribute columns


def _product_cards(products: list[Product], organization) -> list[ProductCard]:
    """Cards for products whose active variants are prefetched: two queries whatever the count."""
    variant_ids = [v.id for p in products for v in p.variants.all()]
    prices = unit_prices(variant_ids=variant_ids, organization=organization)
    units = available_by_variant(variant_ids=variant_ids)
    cards = []
    for product in products:
        variant_prices = sorted(
            (prices[v.id] for v in product.variants.all() if v.id in prices), key=lambda money: money.amount
        )
        cards.append(
            ProductCard(
                product=product,
                price_from=variant_prices[0] if variant_prices else None,
                has_price_range=len({m.amount for m in variant_prices}) > 1,
                availability=availability_of(sum(units.get(v.id, 0) for v in product.variants.all())),
            )
        )
    return cards


def _page(request, products) -> Page:
    """The requested page of `products`. The first page reads one row more than it shows: when that row is
    not there, the list is all on the page and its length is the count, so no COUNT query runs (a search or a
    small category, the usual case, is then one query; on PostgreSQL the search's ranking is the costly part)."""
    paginator = Paginator(products, PAGE_SIZE)
    number = request.GET.get("page")
    if number not in (None, "", "1"):
        return paginator.get_page(number)
    rows = list(products[: PAGE_SIZE + 1])
    if len(rows) <= PAGE_SIZE:
        paginator.count = len(rows)
    return Page(rows[:PAGE_SIZE], 1, paginator)


def _query_string_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def home(request):
    organization = organization_for_user(user=request.user)
    products = catalog.products_featured(limit=FEATURED_COUNT)
    return render(
        request,
        "storefront/home.html",
        {
            "categories": catalog.categories_top(),
            "cards": _product_cards(products, organization),
            "any_featured": any(p.is_featured for p in products),
        },
    )


def categories(request):
    return render(request, "storefront/categories.html", {"categories": catalog.categories_top()})


def category(request, slug: str):
    try:
        current = catalog.category_by_slug(slug=slug)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    organization = organization_for_user(user=request.user)
    page = _page(request, catalog.products_for_listing(category=current))
    return render(
        request,
        "storefront/category.html",
        {
            "category": current,
            "path": catalog.category_path(category=current),
            "children": current.children.all(),
            "page": page,
            "cards": _product_cards(list(page.object_list), organization),
            "page_query": _query_string_without_page(request),
        },
    )


def search(request):
    query = request.GET.get("q", "")
    context = {"query": query, "page": None, "cards": [], "error": None, "page_query": ""}
    status = 200
    if query.strip():
        try:
            products = catalog.products_for_listing(query=query)
            page = _page(request, products)
            cards = _product_cards(list(page.object_list), organization_for_user(user=request.user))
        except DomainError as exc:
            context["error"] = exc
            status = 400
        else:
            context.update(page=page, cards=cards, page_query=_query_string_without_page(request))
    return render(request, "storefront/search.html", context, status=status)


def product(request, slug: str):
    try:
        item = catalog.product_by_slug(slug=slug)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    variants = list(item.variants.all())
    ids = [v.id for v in variants]
    prices = unit_prices(variant_ids=ids, organization=organization_for_user(user=request.user))
    units = available_by_variant(variant_ids=ids)
    columns: list[str] = []
    for variant in variants:
        for key in variant.attributes or {}:
            if key not in columns:
                columns.append(key)
    rows = [
        VariantRow(
            variant=v,
            price=prices.get(v.id),
            availability=availability_of(units.get(v.id, 0)),
            values=[_attribute_text((v.attributes or {}).get(key)) for key in columns],
        )
        for v in variants
    ]
    return render(
        request,
        "storefront/product.html",
        {
            "product": item,
            "path": catalog.category_path(category=item.category),
            "columns": [key.replace("_", " ").capitalize() for key in columns],
            "rows": rows,
        },
    )


def _attribute_text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
