"""Who sees and changes what in the CRM: one rule for the back office, the admin and the API.

- A manager (the `manager` group) or a superuser: every organization's CRM data.
- A salesperson: the profiles, contacts, timelines and tasks of the organizations they are the salesperson of
  (`Organization.salesperson`, the owner) and of those shared with them (`Profile.shared_with`); nothing else.
  Only the owner (or a manager) may delete there or change who shares the account.
- Anyone else (fulfillment clerks, other staff, customers, visitors): no CRM data at all.

On top of the scope, the Django model permissions that the groups hold (granted by migration 0002) decide the
action: `crm.view_contact`, `crm.change_task`, ... An object outside the scope is reported as not found, so its
id reveals nothing.
"""

from django.db.models import Q, QuerySet

from autosales.core.errors import NotFound, PermissionDenied
from autosales.crm.errors import CrmErrorCode
from autosales.crm.models import Profile
from autosales.customers.models import Organization
from autosales.customers.permissions import is_in_group
from autosales.customers.staff_roles import MANAGER, SALESPERSON

ACTIONS = ("view", "add", "change", "delete")
MODELS = ("profile", "contact", "activity", "task")


def _staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def sees_every_account(user) -> bool:
    """A manager or a superuser: the CRM of every organization."""
    return _staff(user) and (user.is_superuser or is_in_group(user, MANAGER))


def is_salesperson(user) -> bool:
    return _staff(user) and is_in_group(user, SALESPERSON)


def crm_user(user) -> bool:
    """May use the CRM at all (see some of it)."""
    return sees_every_account(user) or is_salesperson(user)


def organizations_in_scope(*, user) -> QuerySet[Organization]:
    """The organizations whose CRM data `user` may see: every one, their own and shared ones, or none."""
    if sees_every_account(user):
        return Organization.objects.all()
    if not is_salesperson(user):
        return Organization.objects.none()
    shared = Profile.shared_with.through.objects.filter(user_id=user.pk).values("profile__organization_id")
    return Organization.objects.filter(Q(salesperson_id=user.pk) | Q(pk__in=shared))


def scope_filter(*, user, prefix: str = "organization") -> Q:
    """The scope as a filter on a model that points at an organization through `prefix` (Contact, Task, ...)."""
    if sees_every_account(user):
        return Q()
    if not is_salesperson(user):
        return Q(pk__in=[])
    shared = Profile.shared_with.through.objects.filter(user_id=user.pk).values("profile__organization_id")
    return Q(**{f"{prefix}__salesperson_id": user.pk}) | Q(**{f"{prefix}_id__in": shared})


def organization_in_scope(*, user, organization: Organization | None) -> bool:
    if organization is None or not crm_user(user):
        return False
    if sees_every_account(user):
        return True
    if organization.salesperson_id == user.pk:
        return True
    return Profile.shared_with.through.objects.filter(
        user_id=user.pk, profile__organization_id=organization.pk
    ).exists()


def is_owner(*, user, organization: Organization) -> bool:
    return sees_every_account(user) or (is_salesperson(user) and organization.salesperson_id == user.pk)


def crm_allowed(*, user, action: str, model: str, organization: Organization | None = None) -> bool:
    """The one rule: `user` may `action` ("view", "add", "change", "delete") a `model` ("profile", "contact",
    "activity", "task") of `organization` (None: of some organization, e.g. to see a list at all)."""
    if action not in ACTIONS or model not in MODELS or not crm_user(user):
        return False
    if not user.has_perm(f"crm.{action}_{model}"):
        return False
    if organization is None:
        return True
    if action == "delete" and not is_owner(user=user, organization=organization):
        return False
    return organization_in_scope(user=user, organization=organization)


def crm_required(*, user, action: str, model: str, organization: Organization | None = None) -> None:
    """Raises NotFound for an organization outside the user's scope, PermissionDenied for an action their role
    may not take; returns when `crm_allowed`."""
    if crm_allowed(user=user, action=action, model=model, organization=organization):
        return
    if organization is not None and not organization_in_scope(user=user, organization=organization):
        raise NotFound(CrmErrorCode.NOT_FOUND, "No such customer in your accounts.", "organization")
    raise PermissionDenied(CrmErrorCode.NOT_ALLOWED, f"Your role may not {action} this {model}.", None)


def automation_allowed(*, user, action: str) -> bool:
    """May `action` ("view" or "change") the automation rules and their chain steps: managers change them,
    salespeople see them."""
    return action in ACTIONS and crm_user(user) and user.has_perm(f"crm.{action}_automationrule")
