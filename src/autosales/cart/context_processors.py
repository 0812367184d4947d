from autosales.cart.selectors import cart_item_count
from autosales.cart.session import cart_for_request


def cart(request):
    """`cart_item_count` for the header's cart link, counted only when a template shows it."""
    return {"cart_item_count": lambda: cart_item_count(cart=cart_for_request(request))}
