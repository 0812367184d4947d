"""Exact units for business customers in pages that are cached for everyone with their price list.

A cached catalog fragment is kept while what the store shows of the stock, in words, stays the same
(core.cache_versions, STOCK): an order of a few units does not rebuild it. Business customers see exact units
(settings.STOCK_COUNTS_FOR_BUSINESS), which move with every order, so their fragments hold a marker where the
count goes (Availability.counted_marker) and each request fills in the current counts with one query.
"""

from __future__ import annotations

import re

from django.utils.html import escape

from autosales.inventory.selectors import availability_of, available_by_variant

_MARKER = re.compile(r"\[\[stock-units:([0-9,]*)\]\]")


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def stock_counts_fill(html: str) -> str:
    """`html` with each count marker replaced by the current counted label of its variants (one query)."""
    groups = _MARKER.findall(html)
    if not groups:
        return html
    units = available_by_variant(variant_ids={i for group in groups for i in _ids(group)})

    def label(match: re.Match) -> str:
        return escape(availability_of(sum(units.get(i, 0) for i in _ids(match[1]))).counted_label)

    return _MARKER.sub(label, html)
