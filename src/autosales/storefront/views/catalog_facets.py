"""The facet panel of the category and search pages: links that tick or untick one value each.

Every link is a plain GET URL (it works without JavaScript, can be shared and bookmarked): the page's own
parameters (`q`) followed by the selection, one parameter per ticked value, without `page` (a new selection
starts at the first page). The panel depends only on the catalog and the URL, so it is shared through the
cache by every shopper until the catalog changes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from autosales.catalog import facets
from autosales.catalog.facets import Facet, Selection
from autosales.core.cache_versions import CATALOG, cached_for_versions


@dataclass(frozen=True, slots=True)
class ValueLink:
    value: str
    count: int
    selected: bool
    href: str


@dataclass(frozen=True, slots=True)
class FacetPanel:
    name: str
    label: str
    values: list[ValueLink]


@dataclass(frozen=True, slots=True)
class Chip:
    """A ticked value shown above the list, with the link that unticks it."""

    label: str
    value: str
    href: str


def selection_of(request) -> tuple[list[str], Selection]:
    """The attributes shown as facets and the values the request's query string ticks (the names are cached until
    the catalog changes)."""
    names = cached_for_versions(
        name="facet-names",
        parts=(tuple(settings.CATALOG_FACET_ATTRIBUTES),),
        kinds=(CATALOG,),
        build=facets.facet_names,
    )
    return names, facets.selection_from(dict(request.GET.lists()), names=names)


def query_string(base: list[tuple[str, str]], selection: Selection) -> str:
    """The URL query (without "?") of the page's own parameters and a selection."""
    return urlencode(base + [(name, value) for name, values in selection for value in values])


def _toggled(selection: Selection, name: str, value: str) -> Selection:
    chosen = {n: set(vs) for n, vs in selection}
    values = chosen.setdefault(name, set())
    values.symmetric_difference_update({value})
    return tuple(sorted((n, tuple(sorted(vs))) for n, vs in chosen.items() if vs))


def _href(base: list[tuple[str, str]], selection: Selection) -> str:
    query = query_string(base, selection)
    return f"?{query}" if query else "?"


def _panels(found: list[Facet], selection: Selection, base: list[tuple[str, str]]) -> list[FacetPanel]:
    return [
        FacetPanel(
            name=facet.name,
            label=facet.label,
            values=[
                ValueLink(v.value, v.count, v.selected, _href(base, _toggled(selection, facet.name, v.value)))
                for v in facet.values
            ],
        )
        for facet in found
    ]


def facets_html(
    *, name: str, parts: tuple, selection: Selection, base: list[tuple[str, str]], build: Callable
) -> SafeString:
    """The panel for `build()`'s facets, shared through the cache by every request with the same `parts`,
    selection and page parameters."""

    def render() -> str:
        found = build()
        labels = {f.name: f.label for f in found}
        chips = [
            Chip(labels.get(n, facets.label_of(n)), v, _href(base, _toggled(selection, n, v)))
            for n, values in selection
            for v in values
        ]
        return render_to_string(
            "storefront/_facets.html",
            {"panels": _panels(found, selection, base), "chips": chips, "clear_href": _href(base, ())},
        )

    key = (*parts, selection, tuple(base))
    return mark_safe(cached_for_versions(name=name, parts=key, kinds=(CATALOG,), build=render))
