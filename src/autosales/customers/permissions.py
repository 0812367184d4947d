"""Who may see and change what, in one place.

Customers: a member sees and changes its current organization's data only (anything else is a 404, so ids of
other organizations reveal nothing); only account admins manage members and invitations.
Staff: Django model permissions granted through the groups in `staff_roles`, plus the per-object rule that a
salesperson changes only the organizations they own (`customer_change_allowed`, for the back office and the admin).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

from autosales.core.errors import DomainError, NotFound, PermissionDenied
from autosales.customers.errors import CustomerErrorCode
from autosales.customers.models import Membership, Organization
from autosales.customers.staff_roles import MANAGER, SALESPERSON


def member_required(*, user, organization: Organization | None) -> Membership:
    """The user's membership of `organization`; raises NotFound when there is none."""
    if organization is None or not user.is_authenticated:
        raise NotFound(CustomerErrorCode.NO_ORGANIZATION, "You do not belong to a customer organization.", None)
    membership = Membership.objects.filter(user=user, organization=organization).first()
    if membership is None:
        raise NotFound(CustomerErrorCode.NOT_MEMBER, "You are not a member of that organization.", "organization")
    return membership


def account_admin_required(*, user, organization: Organization) -> Membership:
    """The user's account-admin membership of `organization`; raises PermissionDenied for buyers, NotFound for outsiders."""
    membership = member_required(user=user, organization=organization)
    if membership.role != Membership.Role.ADMIN:
        raise PermissionDenied(
            CustomerErrorCode.NOT_ACCOUNT_ADMIN, "Only an account admin can manage members and invitations.", None
        )
    return membership


def is_in_group(user, name: str) -> bool:
    if not user.is_authenticated:
        return False
    cache = getattr(user, "_staff_group_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._staff_group_names = cache
    return name in cache


def customer_change_allowed(*, user, organization: Organization | None) -> bool:
    """The own-accounts rule, for every page, action and admin that changes a customer's data (the account, its
    orders, its standing orders), on top of the model permissions: a manager or a superuser may change any
    customer; a salesperson (not also a manager) only the customers they are the salesperson of; other staff any
    (their model permissions decide). Looking is not changing: viewing follows the model permissions alone."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser or is_in_group(user, MANAGER):
        return True
    if is_in_group(user, SALESPERSON):
        return organization is not None and organization.salesperson_id == user.pk
    return True


def customer_change_required(*, user, organization: Organization | None) -> None:
    """For views: a 403 unless `customer_change_allowed`."""
    if not customer_change_allowed(user=user, organization=organization):
        raise DjangoPermissionDenied("You may change only the customers you are the salesperson of.")


def organization_change_allowed(*, user, organization: Organization | None = None) -> bool:
    """Staff with the change permission may change an organization, within the own-accounts rule."""
    if not (user.is_active and user.is_staff and user.has_perm("customers.change_organization")):
        return False
    return organization is None or customer_change_allowed(user=user, organization=organization)


def staff_permission_required(*perms: str):
    """A view decorator: signed-in staff holding every one of `perms` get in; other staff 403, others sign in."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (user.is_active and user.is_staff and user.has_perms(perms)):
                raise DjangoPermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


__all__ = [
    "DomainError",
    "account_admin_required",
    "customer_change_allowed",
    "customer_change_required",
    "is_in_group",
    "member_required",
    "organization_change_allowed",
    "staff_permission_required",
]
