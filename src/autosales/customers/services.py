"""Writes about customers: sign-up, profiles, address books, members, roles and invitations."""

import datetime as dt
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.urls import reverse

from autosales.core import clock
from autosales.core.errors import Conflict, DomainError, NotFound
from autosales.core.timezones import is_zone_name, zone_error
from autosales.customers.addresses import address_clean, phone_clean
from autosales.customers.errors import CustomerErrorCode
from autosales.customers.models import Address, Invitation, Membership, Organization, User
from autosales.customers.permissions import account_admin_required
from autosales.notifications.services import email_queue

INVITATION_VALID_FOR = dt.timedelta(days=14)


def _email_clean(email: str, *, field: str = "email") -> str:
    value = (email or "").strip()
    if not value:
        raise DomainError(CustomerErrorCode.REQUIRED, "Enter an email address.", field)
    try:
        validate_email(value)
    except ValidationError as exc:
        raise DomainError(CustomerErrorCode.EMAIL_INVALID, f"'{value}' is not a valid email address.", field) from exc
    if len(value) > 254:
        raise DomainError(CustomerErrorCode.TOO_LONG, "An email address has at most 254 characters.", field)
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _email_ensure_free(email: str, *, except_user: User | None = None) -> None:
    others = User.objects.filter(email__iexact=email)
    if except_user is not None:
        others = others.exclude(pk=except_user.pk)
    if others.exists():
        raise DomainError(
            CustomerErrorCode.EMAIL_TAKEN,
            "An account with this email already exists. Sign in, or reset your password if you forgot it.",
            "email",
        )


def _name_clean(value: str, *, field: str, label: str, required: bool = True, limit: int = 150) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise DomainError(CustomerErrorCode.REQUIRED, f"Enter your {label}.", field)
    if len(text) > limit:
        raise DomainError(CustomerErrorCode.TOO_LONG, f"Use at most {limit} characters.", field)
    return text


def _password_check(password: str, *, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("password_invalid", " ".join(exc.messages), "password") from exc


def _username_for(email: str) -> str:
    """Usernames are not asked for: the email when free, else its local part and a random suffix."""
    candidate = email.lower()[:150]
    while User.objects.filter(username__iexact=candidate).exists():
        candidate = f"{email.split('@')[0][:130].lower()}-{secrets.token_hex(3)}"
    return candidate


def _user_create(*, email: str, password: str, first_name: str, last_name: str, phone: str = "") -> User:
    email = _email_clean(email)
    first_name = _name_clean(first_name, field="first_name", label="first name")
    last_name = _name_clean(last_name, field="last_name", label="last name")
    phone = phone_clean(phone=phone)
    _email_ensure_free(email)
    user = User(username=_username_for(email), email=email, first_name=first_name, last_name=last_name, phone=phone)
    _password_check(password, user=user)
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def user_signup(
    *, email: str, password: str, first_name: str, last_name: str, business_name: str = "", phone: str = ""
) -> User:
    """A new user who is the account admin of a new organization: a business one when named, else a private one."""
    business_name = _name_clean(business_name, field="business_name", label="company name", required=False, limit=200)
    user = _user_create(email=email, password=password, first_name=first_name, last_name=last_name, phone=phone)
    if business_name:
        organization = Organization.objects.create(
            name=business_name, kind=Organization.Kind.BUSINESS, email=user.email, phone=user.phone
        )
    else:
        organization = Organization.objects.create(
            name=user.get_full_name()[:200], kind=Organization.Kind.PRIVATE, email=user.email, phone=user.phone
        )
    Membership.objects.create(user=user, organization=organization, role=Membership.Role.ADMIN)
    user.current_organization = organization
    user.save(update_fields=["current_organization"])
    return user


@transaction.atomic
def profile_update(*, user: User, first_name: str, last_name: str, email: str, phone: str = "") -> User:
    """The user's name, email (unique among users) and phone are saved, or nothing is."""
    user.first_name = _name_clean(first_name, field="first_name", label="first name")
    user.last_name = _name_clean(last_name, field="last_name", label="last name")
    user.email = _email_clean(email)
    user.phone = phone_clean(phone=phone)
    _email_ensure_free(user.email, except_user=user)
    user.save(update_fields=["first_name", "last_name", "email", "phone"])
    return user


def organization_switch(*, user: User, organization: Organization) -> User:
    """The user acts for `organization` from now on; raises NotFound unless a member of it."""
    if not Membership.objects.filter(user=user, organization=organization).exists():
        raise NotFound(CustomerErrorCode.NOT_MEMBER, "You are not a member of that organization.", "organization")
    user.current_organization = organization
    user.save(update_fields=["current_organization"])
    return user


@transaction.atomic
def organization_time_zone_change(*, organization: Organization, time_zone: str, actor: User) -> Organization:
    """An account admin sets the zone its members and its emails read dates in; blank means the shop's."""
    time_zone = (time_zone or "").strip()
    if time_zone and not is_zone_name(time_zone):
        raise DomainError(CustomerErrorCode.TIME_ZONE_INVALID, zone_error(time_zone), "timezone")
    _organization_lock(organization)
    account_admin_required(user=actor, organization=organization)
    organization.timezone = time_zone
    organization.save(update_fields=["timezone"])
    return organization


def _organization_lock(organization: Organization) -> Organization:
    # Every change to an organization's address book or members takes this lock first, so two
    # concurrent changes cannot both pass a check (one default address, at least one admin).
    return Organization.objects.select_for_update(no_key=True).get(pk=organization.pk)


@transaction.atomic
def address_create(*, organization: Organization, fields: Mapping[str, object], make_default: bool = False) -> Address:
    """A validated address in the organization's book; the first one, or one asked for, becomes the default."""
    values = address_clean(fields=fields)
    _organization_lock(organization)
    has_default = Address.objects.filter(organization=organization, is_default=True).exists()
    if make_default and has_default:
        Address.objects.filter(organization=organization, is_default=True).update(is_default=False)
    return Address.objects.create(organization=organization, is_default=make_default or not has_default, **values)


@transaction.atomic
def address_update(*, address: Address, fields: Mapping[str, object], make_default: bool = False) -> Address:
    """The address holds the validated fields; asked to, it becomes the default."""
    values = address_clean(fields=fields)
    _organization_lock(address.organization)
    for name, value in values.items():
        setattr(address, name, value)
    address.save()
    if make_default and not address.is_default:
        return address_set_default(address=address)
    return address


@transaction.atomic
def address_set_default(*, address: Address) -> Address:
    """The address is the organization's only default address."""
    _organization_lock(address.organization)
    Address.objects.filter(organization_id=address.organization_id, is_default=True).exclude(pk=address.pk).update(
        is_default=False
    )
    address.is_default = True
    address.save(update_fields=["is_default"])
    return address


@transaction.atomic
def address_delete(*, address: Address) -> None:
    """The address is gone from the book (a default's place goes to the next one); refused while orders need it."""
    _organization_lock(address.organization)
    was_default = address.is_default
    organization_id = address.organization_id
    try:
        with transaction.atomic():
            address.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise Conflict(
            CustomerErrorCode.ADDRESS_IN_USE,
            "This address is used by orders or standing orders; edit it or pick another default instead.",
            "address",
        ) from exc
    if was_default:
        successor = Address.objects.filter(organization_id=organization_id).order_by("label", "name", "id").first()
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default"])


def _role_clean(role: str) -> str:
    if role not in Membership.Role.values:
        choices = ", ".join(Membership.Role.values)
        raise DomainError(CustomerErrorCode.ROLE_INVALID, f"'{role}' is not a role; choose one of {choices}.", "role")
    return role


def invitation_accept_url(*, invitation: Invitation) -> str:
    path = reverse("storefront:invitation_accept", kwargs={"token": invitation.token})
    return settings.SHOP["base_url"].rstrip("/") + path


@transaction.atomic
def invitation_create(*, organization: Organization, inviter: User, email: str, role: str) -> Invitation:
    """An account admin's invitation to `email` is stored and its email queued; inviting again renews it."""
    email = _email_clean(email)
    role = _role_clean(role)
    _organization_lock(organization)
    account_admin_required(user=inviter, organization=organization)
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise Conflict(CustomerErrorCode.ALREADY_MEMBER, f"{email} is already a member of {organization}.", "email")
    now = clock.now()
    invitation = (
        Invitation.objects.filter(organization=organization, email__iexact=email, accepted_at__isnull=True)
        .order_by("-id")
        .first()
    )
    if invitation is None:
        invitation = Invitation(organization=organization, email=email)
    invitation.role = role
    invitation.invited_by = inviter
    invitation.expires_at = now + INVITATION_VALID_FOR
    invitation.save()
    email_queue(
        to=email,
        template="customers/invitation",
        context={
            "organization_name": organization.name,
            "inviter_name": inviter.get_full_name() or inviter.username,
            "role": invitation.get_role_display(),
            "accept_url": invitation_accept_url(invitation=invitation),
            "expires_at": invitation.expires_at,
        },
        related=invitation,
        time_zone=organization.local_time_zone,
        language=organization.email_language,
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> None:
    """The pending invitation no longer works; accepted ones are history and stay."""
    _organization_lock(invitation.organization)
    account_admin_required(user=actor, organization=invitation.organization)
    if invitation.accepted_at is not None:
        raise Conflict(CustomerErrorCode.INVITATION_USED, "This invitation was already accepted.", "invitation")
    invitation.delete()


def _invitation_check(invitation: Invitation) -> None:
    if invitation.accepted_at is not None:
        raise Conflict(CustomerErrorCode.INVITATION_USED, "This invitation was already used.", "token")
    if invitation.is_expired(at=clock.now()):
        raise DomainError(
            CustomerErrorCode.INVITATION_EXPIRED,
            "This invitation has expired. Ask your account admin to invite you again.",
            "token",
        )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """The user joins the invitation's organization with its role, once; it becomes the organization they act for."""
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("organization").get(pk=invitation.pk)
    _invitation_check(invitation)
    organization = invitation.organization
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise Conflict(CustomerErrorCode.ALREADY_MEMBER, f"You are already a member of {organization}.", "token")
    membership = Membership.objects.create(user=user, organization=organization, role=invitation.role)
    invitation.accepted_at = clock.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    user.current_organization = organization
    user.save(update_fields=["current_organization"])
    return membership


@transaction.atomic
def invitation_accept_signup(
    *, invitation: Invitation, password: str, first_name: str, last_name: str, phone: str = ""
) -> User:
    """A new user with the invited email who is a member of the inviting organization (no private account is made)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _invitation_check(invitation)
    user = _user_create(
        email=invitation.email, password=password, first_name=first_name, last_name=last_name, phone=phone
    )
    invitation_accept(invitation=invitation, user=user)
    return user


def _admins_left_after(*, organization: Organization, without: Membership) -> int:
    return (
        Membership.objects.filter(organization=organization, role=Membership.Role.ADMIN).exclude(pk=without.pk).count()
    )


@transaction.atomic
def membership_role_change(*, membership: Membership, role: str, actor: User) -> Membership:
    """An account admin gives a member another role; the organization always keeps an account admin."""
    role = _role_clean(role)
    # Checked under the lock, so an admin demoted a moment ago cannot still act as one.
    _organization_lock(membership.organization)
    account_admin_required(user=actor, organization=membership.organization)
    membership.refresh_from_db()
    if (
        membership.role == Membership.Role.ADMIN
        and role != Membership.Role.ADMIN
        and _admins_left_after(organization=membership.organization, without=membership) == 0
    ):
        raise Conflict(
            CustomerErrorCode.LAST_ADMIN,
            "An organization needs at least one account admin; make someone else admin first.",
            "role",
        )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> None:
    """An account admin removes a member (or a member leaves); the organization always keeps an account admin."""
    _organization_lock(membership.organization)
    if actor.pk != membership.user_id:
        account_admin_required(user=actor, organization=membership.organization)
    membership.refresh_from_db()
    if (
        membership.role == Membership.Role.ADMIN
        and _admins_left_after(organization=membership.organization, without=membership) == 0
    ):
        raise Conflict(
            CustomerErrorCode.LAST_ADMIN,
            "The last account admin cannot leave; make someone else admin first.",
            "member",
        )
    user = membership.user
    membership.delete()
    if user.current_organization_id == membership.organization_id:
        user.current_organization = None
        user.save(update_fields=["current_organization"])


def organization_member_add(*, organization: Organization, user: User, role: str = Membership.Role.BUYER) -> Membership:
    """Staff (or the demo) put a user in an organization directly; idempotent, the role is updated."""
    role = _role_clean(role)
    try:
        with transaction.atomic():
            membership, created = Membership.objects.get_or_create(
                user=user, organization=organization, defaults={"role": role}
            )
    except IntegrityError:
        membership, created = Membership.objects.get(user=user, organization=organization), False
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership
