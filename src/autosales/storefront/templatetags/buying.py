"""Template helpers of the business buyer's pages: a contract price beside the list price."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def price_pair(price, list_prices, variant_id):
    """ "list $13.99 · your price $11.89" when the customer's own price is below the list price, else the price;
    "Price on request" without one. `list_prices`: variant id -> list price (pricing.selectors.list_prices)."""
    if price is None:
        return "Price on request"
    listed = (list_prices or {}).get(variant_id)
    if listed is None or listed.currency != price.currency or listed.amount <= price.amount:
        return format_html("{}", price)
    return format_html(
        '<span class="list-price">list <s>{}</s></span> · <span class="your-price">your price <strong>{}</strong></span>',
        listed,
        price,
    )
