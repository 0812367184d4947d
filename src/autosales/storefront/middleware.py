"""Before a customer's request is handled: their cart and organization, read together."""

from autosales.cart.session import cart_for_request


class ShopperMiddleware:
    """Reads a signed-in customer's cart with the organization they act for in one query, before the time-zone
    middleware and the view ask for the organization: every request of theirs needs the organization (their
    time zone, their prices), and every page the cart (the header's badge), each otherwise a query of its own.

    Staff (no cart, no organization) and API clients signed in by a token are left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not hasattr(request, "bearer_user_lookup") and user.is_authenticated and not user.is_staff:
            cart_for_request(request)
        return self.get_response(request)
