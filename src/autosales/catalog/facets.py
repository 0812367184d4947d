"""Facets: narrowing a product list by attribute values (wattage, base, colour temperature…), with counts.

A variant's attributes live in a JSON field; grouping and counting over JSON on 10,000 products would be slow
on both databases, so every active variant's attribute values are copied into `ProductFacet` rows (one per
product, name and value) whenever the product is reindexed (`services.product_reindex`, on every save and
import). A product matches a value when any of its active variants has it.

Filters combine as shoppers expect: values of one attribute are alternatives (60 W or 75 W), attributes
all apply (60 W and E26). The count shown beside a value is how many products the list would have if that
value were ticked as well: for an attribute that has a selection, the counts ignore that attribute's own
selection (so its other values stay reachable). Whatever the number of products or selected values, the
counts take one query and the filters add no query to the list's.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from autosales.catalog.models import Product, ProductFacet

MAX_NAME_LENGTH = ProductFacet._meta.get_field("name").max_length
MAX_VALUE_LENGTH = ProductFacet._meta.get_field("value").max_length
MAX_VALUES_PER_NAME = 20  # a selection past this is cut: it keeps cache keys and SQL small
RESERVED_PARAMETERS = frozenset({"q", "page"})  # query-string names a facet can never take

# (name, (value, value…)) pairs, sorted: hashable, one per selected attribute.
Selection = tuple[tuple[str, tuple[str, ...]], ...]


def attribute_pairs(attributes: Mapping | None) -> set[tuple[str, str]]:
    """The (name, value) pairs of a variant's attributes; a list value gives one pair per item, empty values none."""
    pairs: set[tuple[str, str]] = set()
    for key, raw in (attributes or {}).items():
        name = str(key).strip()[:MAX_NAME_LENGTH]
        if not name:
            continue
        for item in raw if isinstance(raw, list | tuple) else [raw]:
            if item is None or isinstance(item, dict):
                continue
            value = str(item).strip()[:MAX_VALUE_LENGTH]
            if value:
                pairs.add((name, value))
    return pairs


def facet_names() -> list[str]:
    """The attributes shown as facets: settings.CATALOG_FACET_ATTRIBUTES in its order, or every attribute any
    product has, by name (one query)."""
    chosen = list(settings.CATALOG_FACET_ATTRIBUTES)
    if chosen:
        return chosen
    return list(ProductFacet.objects.order_by("name").values_list("name", flat=True).distinct())


def selection_from(params: Mapping[str, Iterable[str]], *, names: Iterable[str]) -> Selection:
    """The facet values asked for in a query string (a QueryDict's `lists()` as a mapping): one parameter per
    attribute, repeated for several values (`?wattage=60 W&wattage=75 W&base=E26`). Parameters that name no
    facet (a campaign tag, `q`, `page`) are not a selection."""
    known = set(names) - RESERVED_PARAMETERS
    chosen = []
    for name, values in params.items():
        if name not in known:
            continue
        kept = sorted({v.strip()[:MAX_VALUE_LENGTH] for v in values if v.strip()})[:MAX_VALUES_PER_NAME]
        if kept:
            chosen.append((name, tuple(kept)))
    return tuple(sorted(chosen))


def _having(name: str, values: tuple[str, ...]):
    return Exists(ProductFacet.objects.filter(product_id=OuterRef("pk"), name=name, value__in=values))


def products_filtered(products: QuerySet[Product], *, selection: Selection) -> QuerySet[Product]:
    """`products` narrowed to those having, for every selected attribute, one of its selected values."""
    for name, values in selection:
        products = products.filter(_having(name, values))
    return products


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    count: int
    selected: bool


@dataclass(frozen=True, slots=True)
class Facet:
    name: str
    label: str
    values: list[FacetValue]

    @property
    def selected(self) -> list[FacetValue]:
        return [v for v in self.values if v.selected]


def label_of(name: str) -> str:
    """An attribute name for people: "colour_temperature" is "Colour temperature"."""
    return name.replace("_", " ").strip().capitalize()


_NUMBER = re.compile(r"(\d+(?:\.\d+)?)")


def _natural(value: str) -> tuple:
    """Sort key putting "9 W" before "60 W" and "E12" before "E26"."""
    return tuple(
        (0, float(part), "") if i % 2 else (1, 0.0, part.lower()) for i, part in enumerate(_NUMBER.split(value))
    )


def facets_for(products: QuerySet[Product], *, selection: Selection, names: list[str]) -> list[Facet]:
    """The facets of a product list (before `selection` is applied to it), with the products each value would
    leave, in one query. Values of an attribute are in natural order; a selected value is kept even at 0."""
    if not names:
        return []
    # One join from the list's own query to its facet rows (the list may carry a full-text match that only its
    # outer query can hold); one filter() call, so every condition is on that same join.
    on_row = Q(facets__name__in=names)
    for name, values in selection:
        on_row &= Q(facets__name=name) | _having(name, values)
    counts = (
        products.order_by()
        .filter(on_row)
        .values_list("facets__name", "facets__value")
        .annotate(products=Count("pk"))
        .order_by()
    )
    by_name: dict[str, dict[str, int]] = {name: {} for name in names}
    for name, value, count in counts:
        by_name[name][value] = count
    chosen = dict(selection)
    facets = []
    for name in names:
        values = by_name[name]
        for value in chosen.get(name, ()):
            values.setdefault(value, 0)
        if not values:
            continue
        facets.append(
            Facet(
                name=name,
                label=label_of(name),
                values=[
                    FacetValue(value=v, count=values[v], selected=v in chosen.get(name, ()))
                    for v in sorted(values, key=_natural)
                ],
            )
        )
    return facets
