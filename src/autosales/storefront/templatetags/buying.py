"""Template helpers of the business buyer's pages: a contract price beside the list price, how a variant is sold."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def price_pair(price, listed=None, starts_at=False):
    """ "list $13.99 · your price $11.89" when the customer's own price is below the list price `listed`, else the
    price; "Price on request" without one. `starts_at`: the price is the lowest of several ("from $11.89")."""
    if price is None:
        return gettext("Price on request")
    shown = format_html("{}", gettext("from %(price)s") % {"price": price} if starts_at else price)
    if listed is None or listed.currency != price.currency or listed.amount <= price.amount:
        return shown
    return format_html(
        '<span class="list-price">{} <s>{}</s></span> · <span class="your-price">{} <strong>{}</strong></span>',
        gettext("list"),
        listed,
        gettext("your price"),
        shown,
    )


@register.simple_tag
def quantity_rule(variant):
    """ "Sold in packs of 12", "Minimum order 24" (the fewest whole packs from the minimum), both, or "" for a variant
    sold one unit at a time."""
    parts = []
    if variant.pack_size > 1:
        parts.append(gettext("Sold in packs of %(pack)s") % {"pack": f"{variant.pack_size:,}"})
    if variant.least_quantity > variant.pack_size:
        parts.append(gettext("Minimum order %(minimum)s") % {"minimum": f"{variant.least_quantity:,}"})
    return " · ".join(parts)
