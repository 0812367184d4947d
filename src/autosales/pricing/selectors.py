"""Reads of prices: what a variant costs a given customer."""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Q

from autosales.catalog.models import Variant
from autosales.core.errors import NotFound
from autosales.core.money import Money
from autosales.core.request_memo import request_memoized
from autosales.customers.models import Organization
from autosales.pricing.errors import PricingError
from autosales.pricing.models import Price, PriceList


def _membership() -> tuple[str, str, str]:
    """(table, price-list column, organization column) of the price lists' organizations."""
    field = PriceList.organizations.field
    return field.m2m_db_table(), field.m2m_column_name(), field.m2m_reverse_name()


def _price_lists_memo_key(organization: Organization) -> tuple:
    return ("price_list_ids_for", organization.pk)


def price_list_ids_for(*, organization: Organization | None) -> tuple[int, ...]:
    """The ids of the organization's own price lists, sorted (one query, remembered for the request); () for none."""
    if organization is None:
        return ()

    def lookup() -> tuple[int, ...]:
        # Written out (core.rows): every catalog page of a signed-in customer asks it.
        table, price_list, member = _membership()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {price_list} FROM {table} WHERE {member} = %s ORDER BY {price_list}", [organization.pk]
            )
            return tuple(row[0] for row in cursor.fetchall())

    return request_memoized(_price_lists_memo_key(organization), lookup)


def price_list_ids_sql(organization_id_column: str) -> str:
    """A scalar subquery: the ids of the price lists of the organization whose id is in `organization_id_column`,
    comma-separated in any order (NULL for none), for a query that reads the organization anyway; its value goes to
    `price_list_ids_remember`."""
    table, price_list, member = _membership()
    listed = "group_concat({}, ',')" if connection.vendor == "sqlite" else "string_agg(CAST({} AS text), ',')"
    return f"(SELECT {listed.format(price_list)} FROM {table} WHERE {member} = {organization_id_column})"


def price_list_ids_remember(*, organization: Organization, listed: str | None) -> None:
    """Lets `price_list_ids_for` answer from what `price_list_ids_sql` read, for the rest of the request until it
    writes."""
    ids = tuple(sorted(int(i) for i in listed.split(","))) if listed else ()
    request_memoized(_price_lists_memo_key(organization), lambda: ids)


def price_list_key(*, organization: Organization | None) -> str:
    """Which prices a customer sees, as a cache-key part: customers with the same price lists see the same prices."""
    ids = price_list_ids_for(organization=organization)
    return "pl-" + "-".join(map(str, ids)) if ids else "default"


def _unit_prices_query(ids: list[int], organization: Organization | None) -> dict[int, Money]:
    applicable = Q(price_list__is_default=True)
    if organization is not None:
        applicable |= Q(price_list__in=organization.price_lists.values("id"))
    rows = list(
        Price.objects.filter(applicable, variant_id__in=ids)
        .select_related("price_list")
        .only("variant_id", "amount", "price_list__currency", "price_list__is_default")
    )
    if organization is not None:
        # The list prices came with the rows: `list_prices` of the same variants in this request reads nothing.
        listed = {
            row.variant_id: Money(row.amount, row.price_list.currency) for row in rows if row.price_list.is_default
        }
        _list_prices_known(organization).update({vid: listed.get(vid) for vid in ids})
    return _best_prices(rows)


def _list_prices_known(organization: Organization) -> dict[int, Money | None]:
    """The list prices this request read for the organization's variants (None: the variant has none)."""
    return request_memoized(("list_prices", organization.pk), dict)


def _best_prices(rows: Iterable[Price]) -> dict[int, Money]:
    """Per variant id: the lowest of the special prices among `rows`, else the list price."""
    list_prices: dict[int, Money] = {}
    special_prices: dict[int, Money] = {}
    for row in rows:
        money = Money(row.amount, row.price_list.currency)
        if row.price_list.is_default:
            list_prices[row.variant_id] = money
        else:
            best = special_prices.get(row.variant_id)
            if best is None or (best.currency == money.currency and money < best):
                special_prices[row.variant_id] = money
    return {**list_prices, **special_prices}


def unit_prices_for_organizations(
    *, variant_ids: Iterable[int], organization_ids: Iterable[int]
) -> dict[int, dict[int, Money]]:
    """Price per variant id for each organization id, by the rule of `unit_prices`, in two queries whatever the
    number of organizations (their price lists, then every price that applies to any of them)."""
    variant_ids, organization_ids = list(set(variant_ids)), list(set(organization_ids))
    if not variant_ids or not organization_ids:
        return {}
    lists_of: dict[int, set[int]] = {}
    for organization_id, price_list_id in PriceList.organizations.through.objects.filter(
        organization_id__in=organization_ids
    ).values_list("organization_id", "pricelist_id"):
        lists_of.setdefault(organization_id, set()).add(price_list_id)
    special = set().union(*lists_of.values()) if lists_of else set()
    rows = list(
        Price.objects.filter(Q(price_list__is_default=True) | Q(price_list_id__in=special), variant_id__in=variant_ids)
        .select_related("price_list")
        .only("variant_id", "amount", "price_list__currency", "price_list__is_default")
    )
    return {
        organization_id: _best_prices(
            row for row in rows if row.price_list.is_default or row.price_list_id in lists_of.get(organization_id, ())
        )
        for organization_id in organization_ids
    }


def unit_prices(*, variant_ids: Iterable[int], organization: Organization | None = None) -> dict[int, Money]:
    """Price per variant id for `organization` in one query: its own price lists' lowest price, else the list price.

    Variants without any price are left out of the result. Within a request, prices already looked up for
    the same organization are remembered (core.request_memo): only the other variants are queried.
    """
    ids = list(set(variant_ids))
    if not ids:
        return {}
    known: dict[int, Money | None] = request_memoized(("unit_prices", getattr(organization, "pk", None)), dict)
    missing = [vid for vid in ids if vid not in known]
    if missing:
        found = _unit_prices_query(missing, organization)
        known.update({vid: found.get(vid) for vid in missing})
    return {vid: known[vid] for vid in ids if known[vid] is not None}


def unit_price(*, variant: Variant, organization: Organization | None = None) -> Money:
    """The variant's price for `organization` (see unit_prices); raises NotFound when it has no price."""
    price = unit_prices(variant_ids=[variant.id], organization=organization).get(variant.id)
    if price is None:
        raise NotFound(PricingError.PRICE_NOT_FOUND, f"{variant.sku} has no price.", field="sku")
    return price


def list_prices(*, variant_ids: Iterable[int], organization: Organization | None) -> dict[int, Money]:
    """The default list's price per variant id, for a customer with price lists of its own (to show "list $13.99 ·
    your price $11.89"); {} without a query for a customer without price lists, unless `unit_prices` read the list
    prices for it in this request already (then they are its own prices, and a page shows one price). What
    `unit_prices` read in this request is not read again: a page showing both reads prices once."""
    ids = list(set(variant_ids))
    if not ids or organization is None:
        return {}
    known = _list_prices_known(organization)
    missing = [vid for vid in ids if vid not in known]
    if missing:
        if not price_list_ids_for(organization=organization):
            return {}
        rows = Price.objects.filter(price_list__is_default=True, variant_id__in=missing).values_list(
            "variant_id", "amount", "price_list__currency"
        )
        found = {variant_id: Money(amount, currency) for variant_id, amount, currency in rows}
        known.update({vid: found.get(vid) for vid in missing})
    return {vid: known[vid] for vid in ids if known[vid] is not None}
