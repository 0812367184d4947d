"""Which cart a web request works on: the guest's (token in the session) or the signed-in user's."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth import SESSION_KEY as SESSION_KEY_USER
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Max, Sum
from django.db.models.functions import Coalesce

from autosales.cart.models import Cart, CartLine
from autosales.cart.selectors import cart_item_count_remember, cart_lines_version_remember
from autosales.cart.services import cart_get_or_create, cart_merge
from autosales.core.rows import columns, field_value, instance_from_row
from autosales.customers.backends import SIGN_IN_BACKEND, user_row_remember
from autosales.customers.models import Organization, User
from autosales.customers.selectors import (
    acting_organization_sql,
    organization_for_user,
    organization_for_user_remember,
)
from autosales.pricing.selectors import price_list_ids_remember, price_list_ids_sql

SESSION_KEY = "cart_token"


def request_user(request):
    """The signed-in user of a page request, or of an API request authenticated by a bearer token."""
    auth = getattr(request, "auth", None)
    if auth is not None and getattr(auth, "is_authenticated", False):
        return auth
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def shopper_read(request) -> None:
    """Before anything asks who a signed-in customer is: their user row, their cart with its units and the
    organization they act for, in one query (`_user_shopper_sql`). The user row is handed to the sign-in backend
    for this request (customers.backends.user_row_remember), where Django checks it as it checks any (active, the
    session's password hash); the cart and organization are kept as `cart_for_request` keeps them. Staff and
    guests get no cart here; a session signed in by another backend is read as before (user, then cart)."""
    found = row = None
    user_id = _session_user_id(request)
    if user_id is not None:
        with connection.cursor() as cursor:
            cursor.execute(_user_shopper_sql(), [user_id, user_id, user_id])
            row = cursor.fetchone()
        if row is not None:
            found, at = instance_from_row(User, row)
            user_row_remember(found)
    user = request.user
    if not user.is_authenticated or user.is_staff:
        return
    if found is None or found.pk != user.pk:
        cart_for_request(request)
    elif row[at] is None:  # no cart for the organization they act for
        _cart_keep(request, _cart_without_one(user, create=False))
    else:
        _cart_keep(request, _cart_from_row(user, row, at))


def _session_user_id(request):
    """The user id the session was signed in with by this shop's backend, or None."""
    session = getattr(request, "session", None)
    if session is None or session.get(BACKEND_SESSION_KEY) != SIGN_IN_BACKEND:
        return None
    try:
        return User._meta.pk.to_python(session.get(SESSION_KEY_USER))
    except ValidationError:
        return None


def cart_for_request(request, *, create: bool = False) -> Cart | None:
    """The request's cart; None when there is none yet and `create` is false."""
    cached = getattr(request, "_cart", None)
    if cached is not None:
        return cached
    user = request_user(request)
    if user is not None:
        cart = _users_cart_with_organization(user)
        if cart is None:
            cart = _cart_without_one(user, create=create)
    else:
        token = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        cart = _with_item_count(Cart.objects.filter(token=token, user__isnull=True)).first() if token else None
        if cart is None and create:
            cart = Cart.objects.create()
            request.session[SESSION_KEY] = cart.token
    return _cart_keep(request, cart)


def _cart_without_one(user, *, create: bool) -> Cart | None:
    """A signed-in user without a cart for the organization they act for: their cart without an organization
    (a person who belongs to none), or a new one when `create`."""
    organization = organization_for_user(user=user)
    cart = None
    if organization is None:
        cart = _with_item_count(Cart.objects.filter(user=user, organization=None)).first()
    if cart is None and create:
        cart = cart_get_or_create(user=user, organization=organization)
    return cart


def _cart_keep(request, cart: Cart | None) -> Cart | None:
    if cart is not None:
        request._cart = cart
        if getattr(cart, "item_count", None) is not None:
            cart_item_count_remember(cart=cart, count=cart.item_count)
            version = (cart.item_count, cart.lines_count, cart.lines_changed, cart.lines_last)
            cart_lines_version_remember(cart=cart, version=version)
    return cart


def _users_cart_with_organization(user) -> Cart | None:
    """The user's cart for the organization they act for (customers.selectors.acting_organization_sql),
    with that organization and the units counted, in one query; the organization is remembered for the request
    (organization_for_user asks no more).

    Every signed-in page asks this, so the SQL is written out once (core.rows): the ORM took several times
    longer to build it than the database to answer it."""
    with connection.cursor() as cursor:
        cursor.execute(_shopper_sql(), [user.pk, user.pk, user.current_organization_id or 0])
        row = cursor.fetchone()
    return _cart_from_row(user, row, 0) if row is not None else None


def _cart_from_row(user, row, at: int) -> Cart:
    """The cart, its units and lines' state, and its organization with its price lists (remembered for the request)
    from `row[at:]`, as `_shopper_columns` lists them."""
    cart, at = instance_from_row(Cart, row, at)
    cart.item_count, cart.lines_count, lines_changed, cart.lines_last = row[at : at + 4]
    cart.lines_changed = field_value(CartLine._meta.get_field("updated_at"), lines_changed)
    cart.organization, at = instance_from_row(Organization, row, at + 4)
    organization_for_user_remember(user=user, organization=cart.organization)
    price_list_ids_remember(organization=cart.organization, listed=row[at])
    return cart


def _shopper_columns() -> str:
    return (
        f"{columns(Cart, 'c')}, COALESCE(SUM(l.quantity), 0), COUNT(l.id), MAX(l.updated_at), MAX(l.id), "
        f"{columns(Organization, 'o')}, {price_list_ids_sql('o.id')}"
    )


@cache
def _shopper_sql() -> str:
    return (
        f"SELECT {_shopper_columns()} "
        f"FROM {Cart._meta.db_table} c "
        f"JOIN {Organization._meta.db_table} o ON o.id = c.organization_id "
        f"LEFT JOIN {CartLine._meta.db_table} l ON l.cart_id = c.id "
        f"WHERE c.user_id = %s AND c.organization_id = ({acting_organization_sql()}) "
        "GROUP BY c.id, o.id"
    )


@cache
def _user_shopper_sql() -> str:
    """The user by id with `_shopper_sql`'s cart and organization (NULLs when they have no cart for it)."""
    # Its three parameters are the user's id. The acting organization's choice reads the user's row through a
    # subquery of its own: SQLite cannot see the outer row from a subquery's ORDER BY.
    column = User._meta.get_field("current_organization").column
    chosen = f"(SELECT COALESCE(me.{column}, 0) FROM {User._meta.db_table} me WHERE me.id = %s)"
    acting = acting_organization_sql(chosen=chosen)
    return (
        f"SELECT {columns(User, 'u')}, {_shopper_columns()} "
        f"FROM {User._meta.db_table} u "
        f"LEFT JOIN {Cart._meta.db_table} c ON c.user_id = u.id AND c.organization_id = ({acting}) "
        f"LEFT JOIN {Organization._meta.db_table} o ON o.id = c.organization_id "
        f"LEFT JOIN {CartLine._meta.db_table} l ON l.cart_id = c.id "
        "WHERE u.id = %s "
        "GROUP BY u.id, c.id, o.id"
    )


def _with_item_count(carts):
    """The cart with its units counted in the same query (the header's cart badge on every page), and what
    identifies the state of its lines (for the cached summary, cart.selectors)."""
    return carts.annotate(
        item_count=Coalesce(Sum("lines__quantity"), 0),
        lines_count=Count("lines"),
        lines_changed=Max("lines__updated_at"),
        lines_last=Max("lines__id"),
    )


def cart_merge_for_login(request, user) -> Cart | None:
    """Moves the guest cart of this session into the user's cart; call it right after `login()`."""
    token = request.session.get(SESSION_KEY)
    request.__dict__.pop("_cart", None)
    if not token:
        return None
    request.session.pop(SESSION_KEY, None)
    guest = Cart.objects.filter(token=token, user__isnull=True).first()
    if guest is None:
        return None
    organization = organization_for_user(user=user)
    if not guest.lines.exists():
        guest.delete()
        return None
    target = cart_get_or_create(user=user, organization=organization)
    return cart_merge(source=guest, target=target)
