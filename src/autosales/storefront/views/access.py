"""What a customer's pages look up first: the organization the signed-in user buys for, and a document of it
(another organization's is a 404, as one that does not exist)."""

from collections.abc import Callable
from typing import TypeVar

from django.http import Http404

from autosales.core.errors import NotFound
from autosales.customers.models import Organization
from autosales.customers.selectors import organization_for_user

T = TypeVar("T")


def customer_organization(request) -> Organization:
    organization = organization_for_user(user=request.user)
    if organization is None:
        raise Http404("You do not belong to a customer organization.")
    return organization


def customer_object_or_404(request, lookup: Callable[..., T], *, public_id: str) -> T:
    """`lookup(public_id=..., organization=...)` for the user's organization; its NotFound as a 404."""
    try:
        return lookup(public_id=public_id, organization=customer_organization(request))
    except NotFound as exc:
        raise Http404(exc.message) from exc
