"""Reads about customers: organizations, members, addresses, invitations."""

from functools import cache

from django.db import connection
from django.db.models import Case, Prefetch, QuerySet, Value, When

from autosales.core import clock
from autosales.core.errors import NotFound
from autosales.core.request_memo import request_memoized
from autosales.core.rows import columns, instance_from_row
from autosales.core.timezones import shop_time_zone
from autosales.customers.errors import CustomerErrorCode
from autosales.customers.models import Address, Invitation, Membership, Organization, User


def acting_organization_sql(*, chosen: str = "%s") -> str:
    """SQL giving the id of the organization a user acts for: the one they last chose if they are still a member
    of it, else the one they joined last. Its parameters: the user's id, then their chosen organization's id (0
    for none); or, where the query reads that from the user's row, an SQL expression for it (`chosen`).
    The shopper's cart is read with it too (cart.session), so both follow this one rule."""
    return (
        f"SELECT m.organization_id FROM {Membership._meta.db_table} m WHERE m.user_id = %s "
        f"ORDER BY CASE WHEN m.organization_id = {chosen} THEN 1 ELSE 0 END DESC, m.created_at DESC, m.id DESC "
        "LIMIT 1"
    )


def _acting_organization(user) -> Organization | None:
    # Written out (core.rows): every request of an API client asks it.
    with connection.cursor() as cursor:
        cursor.execute(_acting_organization_row_sql(), [user.pk, user.current_organization_id or 0])
        row = cursor.fetchone()
    return instance_from_row(Organization, row)[0] if row is not None else None


@cache
def _acting_organization_row_sql() -> str:
    return (
        f"SELECT {columns(Organization, 'o')} FROM {Organization._meta.db_table} o "
        f"WHERE o.id = ({acting_organization_sql()})"
    )


def _organization_memo_key(user) -> tuple:
    return ("organization_for_user", user.pk, user.current_organization_id or 0)


def organization_for_user(*, user) -> Organization | None:
    """The organization the user acts for: the one last chosen if still a member, else the latest joined.

    One query per request (remembered for the request until it writes, see core.request_memo).
    """
    if user is None or not user.is_authenticated:
        return None
    return request_memoized(_organization_memo_key(user), lambda: _acting_organization(user))


def organization_for_user_remember(*, user, organization: Organization) -> None:
    """Lets `organization_for_user` answer from an organization read with something else in the same query
    (the shopper's cart), for the rest of the request until it writes."""
    request_memoized(_organization_memo_key(user), lambda: organization)


def time_zone_for_user(*, user) -> str:
    """The zone this person reads dates in: a customer their organization's (or the shop's), staff and visitors the shop's."""
    if user is None or not user.is_authenticated or user.is_staff:
        return shop_time_zone()
    organization = organization_for_user(user=user)
    return organization.local_time_zone if organization is not None else shop_time_zone()


def membership_for(*, user, organization) -> Membership | None:
    if user is None or organization is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organization=organization).first()


def memberships_for_user(*, user) -> QuerySet[Membership]:
    """Every organization the user belongs to, with its organization loaded."""
    return Membership.objects.filter(user=user).select_related("organization").order_by("organization__name", "id")


def members_for_organization(*, organization) -> QuerySet[Membership]:
    """The organization's members with their users loaded: account admins first, then by name."""
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .annotate(is_admin_first=Case(When(role=Membership.Role.ADMIN, then=Value(0)), default=Value(1)))
        .order_by("is_admin_first", "user__first_name", "user__last_name", "user__username", "id")
    )


# Roles whose members may order for the organization (today every role; a role added later says here if it may).
ORDERING_ROLES = frozenset({Membership.Role.BUYER, Membership.Role.ADMIN})


# Where `ordering_contacts_prefetch` keeps an organization's ordering contacts.
_ORDERING_CONTACTS = "ordering_contacts"


def _ordering_members() -> QuerySet[Membership]:
    return (
        Membership.objects.filter(role__in=ORDERING_ROLES, user__is_active=True).exclude(user__email="").order_by("id")
    )


def ordering_contacts_prefetch(*, through: str = "") -> Prefetch:
    """Reads the ordering contacts of many organizations in one query (prefetched on the organizations reached
    by `through`, "organization" from standing orders, say): `ordering_contact_emails` then reads nothing."""
    lookup = f"{through}__memberships" if through else "memberships"
    return Prefetch(lookup, queryset=_ordering_members().select_related("user"), to_attr=_ORDERING_CONTACTS)


def ordering_contact_emails(*, organization: Organization) -> list[str]:
    """Who hears of the organization's automatic orders: active members with an email who may order, else its email."""
    prefetched = getattr(organization, _ORDERING_CONTACTS, None)
    if prefetched is not None:
        emails = [membership.user.email for membership in prefetched]
    else:
        emails = list(_ordering_members().filter(organization=organization).values_list("user__email", flat=True))
    emails = list(dict.fromkeys(emails))
    if not emails and organization.email:
        emails = [organization.email]
    return emails


def member_by_public_id(*, organization, public_id: str) -> Membership:
    """The organization's membership with this public id; raises NotFound for anyone else's."""
    membership = (
        Membership.objects.filter(organization=organization, public_id=public_id).select_related("user").first()
    )
    if membership is None:
        raise NotFound(CustomerErrorCode.MEMBER_NOT_FOUND, "No such member in your organization.", "member")
    return membership


def addresses_for_organization(*, organization) -> QuerySet[Address]:
    """The organization's address book, the default address first."""
    return Address.objects.filter(organization=organization).order_by("-is_default", "label", "name", "id")


def address_by_public_id(*, organization, public_id: str) -> Address:
    """The organization's address with this public id; raises NotFound for another organization's."""
    address = address_find(organization=organization, public_id=public_id)
    if address is None:
        raise NotFound(CustomerErrorCode.ADDRESS_NOT_FOUND, "No such address in your address book.", "address")
    return address


def address_find(*, organization, public_id: str) -> Address | None:
    """The organization's address with this public id, or None.

    Written out (core.rows): every checkout step after the address reads it, and the ORM took three times longer
    to build this query than the database to answer it."""
    if organization is None or not public_id:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_address_sql(), [public_id, organization.pk])
        row = cursor.fetchone()
    return instance_from_row(Address, row)[0] if row is not None else None


@cache
def _address_sql() -> str:
    return f"SELECT {columns(Address, 'a')} FROM {Address._meta.db_table} a WHERE a.public_id = %s AND a.organization_id = %s"


def default_address_for(*, organization) -> Address | None:
    return Address.objects.filter(organization=organization, is_default=True).first()


def invitations_pending(*, organization) -> QuerySet[Invitation]:
    """Invitations of the organization not yet accepted and not expired, newest first."""
    return (
        Invitation.objects.filter(organization=organization, accepted_at__isnull=True, expires_at__gt=clock.now())
        .select_related("invited_by")
        .order_by("-created_at", "-id")
    )


def invitation_by_public_id(*, organization, public_id: str) -> Invitation:
    invitation = Invitation.objects.filter(organization=organization, public_id=public_id).first()
    if invitation is None:
        raise NotFound(CustomerErrorCode.INVITATION_NOT_FOUND, "No such invitation.", "invitation")
    return invitation


def invitation_by_token(*, token: str) -> Invitation:
    """The invitation with this token (accepted or expired ones too); raises NotFound."""
    invitation = Invitation.objects.filter(token=token).select_related("organization", "invited_by").first()
    if invitation is None:
        raise NotFound(
            CustomerErrorCode.INVITATION_NOT_FOUND, "This invitation link is not valid. Ask for a new one.", "token"
        )
    return invitation


def user_by_email(*, email: str) -> User | None:
    """The active user with this email (case-insensitive), when exactly one has it."""
    users = list(User.objects.filter(email__iexact=email.strip(), is_active=True)[:2])
    return users[0] if len(users) == 1 else None


def organizations_matching(*, query: str, limit: int = 20) -> list[Organization]:
    """Customer organizations whose name contains `query`, by name, at most `limit` (one query)."""
    return list(Organization.objects.filter(name__icontains=query).order_by("name", "pk")[:limit])


def people_by_email(*, organization: Organization) -> dict[str, str]:
    """The organization's people by lower-case email address: their name (or username), to say who was emailed.
    One query."""
    people = {}
    for membership in Membership.objects.filter(organization=organization).select_related("user"):
        user = membership.user
        if user.email:
            people[user.email.lower()] = user.get_full_name() or user.username
    return people
