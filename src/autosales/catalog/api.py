"""Router `products`: the public catalog, with prices for the caller's organization and availability.

Anyone may read the catalog. Anonymous callers (and staff, who act for no organization) get list prices
and whether a variant is in stock; signed-in customers get their organization's prices and the number
of units available.
"""

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError
from pydantic import model_validator

from autosales.catalog.models import Category, Product
from autosales.catalog.search import MAX_QUERY_LENGTH
from autosales.catalog.selectors import category_by_slug, product_by_slug, products_for_listing, products_in_order
from autosales.core.cache_versions import CATALOG, cached_for_versions
from autosales.core.errors import NotFound
from autosales.core.http.auth import PUBLIC
from autosales.core.http.errors import error_responses
from autosales.core.http.pagination import Page, PageParams, page_of, page_start
from autosales.core.money import Money, quantize
from autosales.customers.selectors import organization_for_user
from autosales.inventory.selectors import StockStatus, availability_of, available_by_variant
from autosales.pricing.selectors import unit_prices

router = Router(tags=["products"], auth=PUBLIC)


class MoneyOut(Schema):
    amount: Decimal = Field(description="Decimal amount, as a string in JSON.", examples=["12.50"])
    currency: str = Field(description="ISO 4217 code.", examples=["USD"])

    @model_validator(mode="after")
    def _in_minor_units(self):
        # Columns hold three decimals; each amount is shown with its currency's own: "12.50" USD, "1.275" KWD.
        self.amount = quantize(self.amount, self.currency)
        return self


class CategoryOut(Schema):
    slug: str
    name: str


class VariantOut(Schema):
    sku: str
    name: str
    attributes: dict[str, Any]
    price: MoneyOut | None = Field(description="Unit price for the caller's organization; null when not for sale.")
    in_stock: bool
    stock_status: StockStatus
    available: int | None = Field(description="Units available now; null for anonymous callers.")
    min_quantity: int = Field(description="The fewest units one order line may hold.")
    pack_size: int = Field(description="Units are ordered in multiples of this (1: any number).")


class ProductOut(Schema):
    slug: str
    name: str
    brand: str
    category: CategoryOut
    price_from: MoneyOut | None = Field(description="The lowest variant price for the caller.")
    in_stock: bool = Field(description="Whether any variant is in stock.")
    variants: list[VariantOut]


class ProductDetailOut(ProductOut):
    description: str
    attributes: dict[str, list[Any]] = Field(
        description="Each attribute with the values its variants take, e.g. {'wattage': ['40 W', '60 W']}."
    )


class ProductFilters(Schema):
    q: str = Field("", max_length=MAX_QUERY_LENGTH, description="Search words: name, brand, SKU, attributes, text.")
    category: str = Field("", max_length=140, description="Category slug.")


def _money(price: Money | None) -> dict | None:
    return None if price is None else {"amount": price.amount, "currency": price.currency}


def _products_out(request: HttpRequest, products: list[Product], *, detail: bool = False) -> list[dict]:
    """The products as the caller may see them, in a fixed number of queries for any number of products."""
    user = request.auth
    organization = organization_for_user(user=user) if user.is_authenticated else None
    show_quantities = user.is_authenticated
    variants_by_product = {p.id: [v for v in p.variants.all() if v.is_active] for p in products}
    variant_ids = [v.id for variants in variants_by_product.values() for v in variants]
    prices = unit_prices(variant_ids=variant_ids, organization=organization) if variant_ids else {}
    available = available_by_variant(variant_ids=variant_ids) if variant_ids else {}
    result = []
    for product in products:
        variants = []
        for variant in variants_by_product[product.id]:
            stock = availability_of(available.get(variant.id, 0))
            variants.append(
                {
                    "sku": variant.sku,
                    "name": variant.name,
                    "attributes": variant.attributes or {},
                    "price": _money(prices.get(variant.id)),
                    "in_stock": stock.units > 0,
                    "stock_status": stock.status,
                    "available": stock.units if show_quantities else None,
                    "min_quantity": variant.min_quantity,
                    "pack_size": variant.pack_size,
                }
            )
        priced = [prices[v.id] for v in variants_by_product[product.id] if v.id in prices]
        row = {
            "slug": product.slug,
            "name": product.name,
            "brand": product.brand,
            "category": {"slug": product.category.slug, "name": product.category.name},
            "price_from": _money(min(priced, key=lambda m: m.amount) if priced else None),
            "in_stock": any(v["in_stock"] for v in variants),
            "variants": variants,
        }
        if detail:
            attributes: dict[str, list] = {}
            for variant in variants:
                for key, value in variant["attributes"].items():
                    values = attributes.setdefault(key, [])
                    if value not in values:
                        values.append(value)
            row["description"] = product.description
            row["attributes"] = attributes
        result.append(row)
    return result


def _category(slug: str) -> Category | None:
    """The category to filter by; an unknown slug is a bad query parameter (422), like a bad page number."""
    if not slug:
        return None
    try:
        return category_by_slug(slug=slug)
    except NotFound as exc:
        raise ValidationError([{"loc": ("query", "category"), "type": exc.code, "msg": exc.message}]) from exc


@router.get("", response={200: Page[ProductOut], **error_responses(401, 422)})
def products_list(request, filters: Query[ProductFilters], paging: Query[PageParams]):
    """Active products: ranked by relevance when `q` is given, else by name; `category` narrows by slug."""
    category, query = _category(filters.category.strip()), filters.q.strip()
    # Which products are on the page is shared through the cache while the catalog is unchanged (ranking a
    # search over the whole catalog is most of the work); prices and stock are the caller's, read each time.
    count, ids = cached_for_versions(
        name="api-products",
        parts=(category.pk if category else None, query, paging.page, paging.page_size),
        kinds=(CATALOG,),
        build=lambda: _page_ids(category=category, query=query, paging=paging),
    )
    page = page_of(request=request, items=products_in_order(ids=ids), count=count, params=paging)
    return page.with_items(_products_out(request, list(page.items)))


def _page_ids(*, category: Category | None, query: str, paging: PageParams) -> tuple[int, list[int]]:
    products = products_for_listing(category=category, query=query)
    count = products.count()
    start = page_start(count=count, params=paging)
    return count, list(products.values_list("id", flat=True)[start : start + paging.page_size])


@router.get("/{slug}", response={200: ProductDetailOut, **error_responses(401, 404)})
def products_detail(request, slug: str):
    """One active product with its variants, their attributes, prices for the caller and availability."""
    product = product_by_slug(slug=slug)
    return _products_out(request, [product], detail=True)[0]
