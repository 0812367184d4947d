"""Pricing a prospective order: unit prices for the customer, shipping for the method, tax for the destination."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from autosales.cart.services import order_quantity_check
from autosales.catalog.models import Variant
from autosales.checkout.errors import CheckoutError
from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.customers.models import Address, Organization
from autosales.pricing.selectors import unit_prices, unit_prices_for_organizations
from autosales.pricing.shipping import ShippingMethod
from autosales.pricing.tax import TaxRate, tax_rate_for

# The same guard as the cart's: larger orders go through a salesperson.
MAX_LINE_QUANTITY = 100_000


@dataclass(frozen=True)
class LineRequest:
    """A variant and how many of it the customer wants."""

    variant_id: int
    quantity: int


@dataclass(frozen=True)
class QuoteLine:
    variant_id: int
    sku: str
    name: str
    quantity: int
    unit_price: Money
    line_total: Money
    weight_grams: int


@dataclass(frozen=True)
class Quote:
    """What an order would cost: total = subtotal + shipping + tax, every amount rounded to the cent."""

    currency: str
    lines: tuple[QuoteLine, ...]
    subtotal: Money
    shipping: Money
    tax: Money
    total: Money
    tax_name: str
    weight_grams: int
    quantity: int

    def quantities(self) -> dict[int, int]:
        return {line.variant_id: line.quantity for line in self.lines}


class QuoteMemo:
    """What the quotes of one request share, each read once: the variants with their products, the unit prices of
    the one organization the request acts for, and the tax rate of each destination. Lives as long as the request
    (a page quotes every shipping method, then the chosen one), so nothing in it can go stale; the scheduler's
    memos (`quote_memos`) live as long as one batch of runs, which is priced as the batch starts.
    """

    def __init__(
        self,
        *,
        variants: Mapping[int, Variant] | None = None,
        prices: Mapping[int, Money | None] | None = None,
        rates: Mapping[tuple[str, str], TaxRate | None] | None = None,
    ):
        self._variants: dict[int, Variant] = dict(variants or {})
        self._prices: dict[int, Money | None] = dict(prices or {})
        self._rates: dict[tuple[str, str], TaxRate | None] = dict(rates or {})

    def variants(self, ids: Sequence[int]) -> dict[int, Variant]:
        missing = [i for i in ids if i not in self._variants]
        if missing:
            self._variants.update((v.pk, v) for v in Variant.objects.select_related("product").filter(pk__in=missing))
        return self._variants

    def prices(self, ids: Sequence[int], *, organization: Organization | None) -> dict[int, Money]:
        missing = [i for i in ids if i not in self._prices]
        if missing:
            found = unit_prices(variant_ids=missing, organization=organization)
            self._prices.update((i, found.get(i)) for i in missing)
        return {i: price for i, price in self._prices.items() if price is not None}

    def tax_rate(self, *, country: str, region: str) -> TaxRate | None:
        key = (country, region)
        if key not in self._rates:
            self._rates[key] = tax_rate_for(country=country, region=region)
        return self._rates[key]


def quote_memos(
    *, organization_ids: Iterable[int], variant_ids: Iterable[int], destinations: Iterable[tuple[str, str]]
) -> dict[int, QuoteMemo]:
    """A memo for each organization id, for the quotes of many orders at once (a batch of standing-order runs): the
    variants with their products and every organization's unit prices in three queries whatever their number,
    and the tax rate of each (country, region) destination (shared through the cache, see `tax_rate_for`).

    Call outside a transaction, so that the tax rates read are shared with the other processes.
    """
    organization_ids, variant_ids = set(organization_ids), set(variant_ids)
    variants = {v.pk: v for v in Variant.objects.select_related("product").filter(pk__in=variant_ids)}
    prices = unit_prices_for_organizations(variant_ids=variant_ids, organization_ids=organization_ids)
    rates = {(country, region): tax_rate_for(country=country, region=region) for country, region in set(destinations)}
    return {
        organization_id: QuoteMemo(
            variants=variants,
            # A variant without a price is known to have none (not read again).
            prices={vid: prices.get(organization_id, {}).get(vid) for vid in variant_ids},
            rates=rates,
        )
        for organization_id in organization_ids
    }


def tax_destination(shipping_address: Address) -> tuple[str, str]:
    """(country code, region) of the address, as `quote` looks its tax rate up."""
    country = shipping_address.country
    return str(country.code if hasattr(country, "code") else country), shipping_address.region


def lines_merge(*, lines: Sequence[LineRequest]) -> list[LineRequest]:
    """Checked lines with each variant once (quantities of repeated variants added), in the order first given."""
    if not lines:
        raise DomainError(CheckoutError.NO_LINES, "The order has no items.", "lines")
    merged: dict[int, int] = {}
    for i, line in enumerate(lines):
        quantity = line.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise DomainError(
                CheckoutError.QUANTITY_INVALID, "Quantity must be a whole number of at least 1.", f"lines[{i}].quantity"
            )
        if isinstance(line.variant_id, bool) or not isinstance(line.variant_id, int):
            raise DomainError(CheckoutError.VARIANT_NOT_FOR_SALE, "Not a variant id.", f"lines[{i}].variant_id")
        merged[line.variant_id] = merged.get(line.variant_id, 0) + quantity
        if merged[line.variant_id] > MAX_LINE_QUANTITY:
            raise DomainError(
                CheckoutError.QUANTITY_INVALID,
                f"Quantity cannot be more than {MAX_LINE_QUANTITY:,} per item; contact us for larger orders.",
                f"lines[{i}].quantity",
            )
    return [LineRequest(variant_id=vid, quantity=qty) for vid, qty in merged.items()]


def quote(
    *,
    organization: Organization | None,
    lines: Sequence[LineRequest],
    shipping_method: ShippingMethod,
    shipping_address: Address,
    memo: QuoteMemo | None = None,
) -> Quote:
    """Prices `lines` for the organization (its price list where it has one) with shipping and tax; raises DomainError naming the field.

    `memo`: what this request read for quoting already (see QuoteMemo); without one, everything is read here.
    """
    memo = memo or QuoteMemo()
    merged = lines_merge(lines=lines)
    ids = [line.variant_id for line in merged]
    variants = memo.variants(ids)
    prices = memo.prices(ids, organization=organization)
    quote_lines: list[QuoteLine] = []
    currency = None
    for i, line in enumerate(merged):
        variant = variants.get(line.variant_id)
        if variant is None or not (variant.is_active and variant.product.is_active):
            sku = variant.sku if variant else f"Item {line.variant_id}"
            raise DomainError(CheckoutError.VARIANT_NOT_FOR_SALE, f"{sku} is not for sale.", f"lines[{i}].variant_id")
        order_quantity_check(variant=variant, quantity=line.quantity, field=f"lines[{i}].quantity")
        price = prices.get(variant.pk)
        if price is None:
            raise DomainError(CheckoutError.PRICE_MISSING, f"{variant.sku} has no price.", f"lines[{i}].variant_id")
        if currency is None:
            currency = price.currency
        elif price.currency != currency:
            raise DomainError(
                CheckoutError.CURRENCY_MIXED,
                "Items priced in different currencies cannot share an order.",
                f"lines[{i}].variant_id",
            )
        quote_lines.append(
            QuoteLine(
                variant_id=variant.pk,
                sku=variant.sku,
                name=f"{variant.product.name} — {variant.name}" if variant.name else variant.product.name,
                quantity=line.quantity,
                unit_price=price,
                line_total=(price * line.quantity).rounded(),
                weight_grams=variant.weight_grams * line.quantity,
            )
        )
    assert currency is not None
    subtotal = Money(sum((line.line_total.amount for line in quote_lines), Decimal(0)), currency)
    weight = sum(line.weight_grams for line in quote_lines)
    quantity = sum(line.quantity for line in quote_lines)
    country, region = tax_destination(shipping_address)
    if (
        shipping_method is None
        or not shipping_method.is_active
        or not shipping_method.serves(country)
        or shipping_method.currency != currency
    ):
        raise DomainError(
            CheckoutError.SHIPPING_METHOD_UNAVAILABLE,
            "That shipping method does not deliver to this address; choose another.",
            "shipping_method",
        )
    shipping = shipping_method.rate_for(subtotal=subtotal, weight_grams=weight, quantity=quantity)
    if organization is not None and organization.is_tax_exempt:
        # A resale or exemption certificate on file: no tax, and the order (and its invoices) name the certificate.
        tax, tax_name = Money.zero(currency), f"Tax exempt (certificate {organization.tax_exemption_certificate})"
    else:
        rate = memo.tax_rate(country=country, region=region)
        tax = rate.tax_on(goods=subtotal, shipping=shipping) if rate else Money.zero(currency)
        tax_name = rate.name if rate else ""
    return Quote(
        currency=currency,
        lines=tuple(quote_lines),
        subtotal=subtotal,
        shipping=shipping,
        tax=tax,
        total=subtotal + shipping + tax,
        tax_name=tax_name,
        weight_grams=weight,
        quantity=quantity,
    )
