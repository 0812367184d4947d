"""Before a customer's request is handled: who they are, their cart and organization, read together."""

from autosales.cart.session import shopper_read


class ShopperMiddleware:
    """Reads a signed-in customer's user row, cart and the organization they act for in one query
    (`cart.session.shopper_read`), before the time-zone middleware and the view ask for them: every request of
    theirs needs the user and the organization (their time zone, their prices), and every page the cart (the
    header's badge), each otherwise a query of its own.

    Staff get their user row only (no cart, no organization); API clients signed in by a token are left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not hasattr(request, "bearer_user_lookup"):
            shopper_read(request)
        return self.get_response(request)
