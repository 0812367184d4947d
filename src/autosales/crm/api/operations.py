"""Router `crm`: customers' profiles, key people, timelines and tasks for salespeople, managers and the systems
they connect (an ERP, a phone system logging calls). The one rule of crm.permissions applies: a salesperson
reaches their own and shared accounts (anything else is a 404), a manager all, anyone else nothing (403)."""

from django.db.models import Q
from ninja import Query, Router
from ninja.responses import Status

from autosales.billing.models import Invoice
from autosales.core.errors import DomainError
from autosales.core.http.errors import error_responses
from autosales.core.http.pagination import Page, PageParams, paginate
from autosales.crm.api.schemas import (
    ActivityIn,
    ActivityOut,
    ContactIn,
    ContactOut,
    ContactPatch,
    OrganizationFilters,
    ProfileIn,
    ProfileOut,
    ProspectIn,
    ReassignIn,
    SnoozeIn,
    TaskCompleteIn,
    TaskFilters,
    TaskIn,
    TaskOut,
    TaskPatch,
    TimelineFilters,
)
from autosales.crm.api.serializers import activity_out, contact_out, profile_out, task_out
from autosales.crm.models import ActivityKind, Task
from autosales.crm.permissions import crm_required
from autosales.crm.selectors import (
    contact_for,
    contact_of_organization,
    contacts_of,
    organization_for,
    organizations_for,
    task_for,
    tasks_for,
    timeline,
)
from autosales.crm.services import (
    activity_log,
    contact_create,
    contact_delete,
    contact_update,
    profile_update,
    prospect_create,
)
from autosales.crm.tasks import task_create, task_reassign, task_snooze, task_transition, task_update
from autosales.customers.models import Organization, User
from autosales.orders.models import Order

router = Router(tags=["crm"])


def _staff_user(username: str, field: str) -> User:
    user = User.objects.filter(username=username, is_staff=True, is_active=True).first()
    if user is None:
        raise DomainError("owner_invalid", f"No active member of staff is called {username!r}.", field)
    return user


# --- organizations ---


def _organization_loaded(request, public_id: str) -> Organization:
    """One organization the caller works, with what `profile_out` shows, or a 404."""
    organization = (
        organizations_for(user=request.auth)
        .filter(public_id=public_id)
        .prefetch_related("crm_profile__tags", "crm_profile__shared_with")
        .first()
    )
    if organization is None:
        organization_for(user=request.auth, public_id=public_id)  # raises the 404
    return organization


@router.get(
    "/organizations",
    response={200: Page[ProfileOut], **error_responses(401, 403, 422)},
    summary="Customers and prospects the caller works, by name",
)
def organizations_list(request, filters: Query[OrganizationFilters], paging: Query[PageParams]):
    crm_required(user=request.auth, action="view", model="profile")
    queryset = organizations_for(user=request.auth, query=filters.q, mine=filters.mine, tag=filters.tag)
    queryset = queryset.prefetch_related("crm_profile__tags", "crm_profile__shared_with")
    page = paginate(request=request, queryset=queryset, params=paging)
    return page.with_items([profile_out(o) for o in page.items])


@router.post(
    "/organizations",
    response={201: ProfileOut, **error_responses(400, 401, 403, 422)},
    summary="Add a prospect (an organization that has not ordered yet), owned by the caller",
)
def organizations_create(request, payload: ProspectIn):
    organization = prospect_create(actor=request.auth, **payload.dict())
    return Status(201, profile_out(_organization_loaded(request, organization.public_id)))


@router.get(
    "/organizations/{public_id}",
    response={200: ProfileOut, **error_responses(401, 403, 404)},
    summary="One customer's profile",
)
def organizations_detail(request, public_id: str):
    crm_required(user=request.auth, action="view", model="profile")
    return profile_out(_organization_loaded(request, public_id), credit=True)


@router.patch(
    "/organizations/{public_id}/profile",
    response={200: ProfileOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Change the given fields of a customer's profile",
)
def organizations_profile_update(request, public_id: str, payload: ProfileIn):
    organization = organization_for(user=request.auth, public_id=public_id)
    profile_update(organization=organization, actor=request.auth, **payload.dict(exclude_unset=True))
    return profile_out(_organization_loaded(request, public_id), credit=True)


# --- contacts ---


@router.get(
    "/organizations/{public_id}/contacts",
    response={200: list[ContactOut], **error_responses(401, 403, 404)},
    summary="A customer's key people",
)
def contacts_list(request, public_id: str):
    organization = organization_for(user=request.auth, public_id=public_id)
    crm_required(user=request.auth, action="view", model="contact", organization=organization)
    contacts = contacts_of(organization=organization).select_related("organization")
    return [contact_out(c) for c in contacts]


@router.post(
    "/organizations/{public_id}/contacts",
    response={201: ContactOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Add a key person to a customer",
)
def contacts_create(request, public_id: str, payload: ContactIn):
    organization = organization_for(user=request.auth, public_id=public_id)
    contact = contact_create(organization=organization, actor=request.auth, **payload.dict())
    return Status(201, contact_out(contact))


@router.get(
    "/contacts/{public_id}", response={200: ContactOut, **error_responses(401, 403, 404)}, summary="One contact"
)
def contacts_detail(request, public_id: str):
    crm_required(user=request.auth, action="view", model="contact")
    return contact_out(contact_for(user=request.auth, public_id=public_id))


@router.patch(
    "/contacts/{public_id}",
    response={200: ContactOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Change the given fields of a contact",
)
def contacts_update(request, public_id: str, payload: ContactPatch):
    contact = contact_for(user=request.auth, public_id=public_id)
    return contact_out(contact_update(contact=contact, actor=request.auth, **payload.dict(exclude_unset=True)))


@router.delete(
    "/contacts/{public_id}", response={204: None, **error_responses(401, 403, 404)}, summary="Remove a contact"
)
def contacts_delete(request, public_id: str):
    contact_delete(contact=contact_for(user=request.auth, public_id=public_id), actor=request.auth)
    return Status(204, None)


# --- timeline ---


@router.get(
    "/organizations/{public_id}/activities",
    response={200: Page[ActivityOut], **error_responses(401, 403, 404, 422)},
    summary="A customer's timeline, newest first (or one contact's)",
)
def activities_list(request, public_id: str, filters: Query[TimelineFilters], paging: Query[PageParams]):
    organization = organization_for(user=request.auth, public_id=public_id)
    crm_required(user=request.auth, action="view", model="activity", organization=organization)
    contact = contact_of_organization(organization=organization, public_id=filters.contact) if filters.contact else None
    kinds = [k for k in filters.kind if k in ActivityKind.values]
    page = paginate(
        request=request, queryset=timeline(organization=organization, contact=contact, kinds=kinds), params=paging
    )
    return page.with_items([activity_out(a, organization.public_id) for a in page.items])


@router.post(
    "/activities",
    response={201: ActivityOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Log a call, visit, meeting, email or note on a customer's timeline",
)
def activities_create(request, payload: ActivityIn):
    organization = organization_for(user=request.auth, public_id=payload.organization)
    data = payload.dict(exclude={"organization", "contact"})
    activity = activity_log(
        organization=organization,
        actor=request.auth,
        contact=contact_of_organization(organization=organization, public_id=payload.contact),
        **data,
    )
    return Status(201, activity_out(activity, organization.public_id))


# --- tasks ---


@router.get(
    "/tasks",
    response={200: Page[TaskOut], **error_responses(401, 403, 422)},
    summary="Tasks on the caller's accounts, by due time",
)
def tasks_list(request, filters: Query[TaskFilters], paging: Query[PageParams]):
    crm_required(user=request.auth, action="view", model="task")
    queryset = tasks_for(user=request.auth, status=filters.status or None)
    if filters.mine:
        queryset = queryset.filter(owner=request.auth)
    if filters.organization:
        queryset = queryset.filter(Q(organization__public_id=filters.organization))
    page = paginate(request=request, queryset=queryset, params=paging)
    return page.with_items([task_out(t) for t in page.items])


@router.post(
    "/tasks", response={201: TaskOut, **error_responses(400, 401, 403, 404, 422)}, summary="Add a task on a customer"
)
def tasks_create(request, payload: TaskIn):
    organization = organization_for(user=request.auth, public_id=payload.organization)
    values = payload.dict(exclude={"organization", "owner", "contact", "order", "invoice"})
    order = None
    if payload.order:
        order = Order.objects.filter(organization=organization, public_id=payload.order).first()
        if order is None:
            raise DomainError("invalid", "That order is not this organization's.", "order")
    invoice = None
    if payload.invoice:
        invoice = Invoice.objects.filter(organization=organization, number=payload.invoice).first()
        if invoice is None:
            raise DomainError("invalid", "That invoice is not this organization's.", "invoice")
    task = task_create(
        organization=organization,
        actor=request.auth,
        owner=_staff_user(payload.owner, "owner") if payload.owner else None,
        contact=contact_of_organization(organization=organization, public_id=payload.contact),
        order=order,
        invoice=invoice,
        **values,
    )
    return Status(201, task_out(task_for(user=request.auth, public_id=task.public_id)))


@router.get("/tasks/{public_id}", response={200: TaskOut, **error_responses(401, 403, 404)}, summary="One task")
def tasks_detail(request, public_id: str):
    crm_required(user=request.auth, action="view", model="task")
    return task_out(task_for(user=request.auth, public_id=public_id))


@router.patch(
    "/tasks/{public_id}",
    response={200: TaskOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Change the given fields of an open task (moving it moves its reminders)",
)
def tasks_update(request, public_id: str, payload: TaskPatch):
    task = task_for(user=request.auth, public_id=public_id)
    values = payload.dict(exclude_unset=True)
    if "contact" in values:
        values["contact"] = contact_of_organization(organization=task.organization, public_id=values["contact"])
    task_update(task=task, actor=request.auth, **values)
    return task_out(task_for(user=request.auth, public_id=public_id))


@router.post(
    "/tasks/{public_id}/complete",
    response={200: TaskOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Mark a task done with how it went (a recurring task opens its next one; a rule's chain may make the next)",
)
def tasks_complete(request, public_id: str, payload: TaskCompleteIn | None = None):
    task_transition(
        task=task_for(user=request.auth, public_id=public_id),
        to=Task.Status.DONE,
        actor=request.auth,
        outcome=payload.outcome if payload is not None else "",
    )
    return task_out(task_for(user=request.auth, public_id=public_id))


@router.post(
    "/tasks/{public_id}/snooze",
    response={200: TaskOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Move a task later by some minutes (from now when it is overdue)",
)
def tasks_snooze(request, public_id: str, payload: SnoozeIn):
    task_snooze(task=task_for(user=request.auth, public_id=public_id), actor=request.auth, minutes=payload.minutes)
    return task_out(task_for(user=request.auth, public_id=public_id))


@router.post(
    "/tasks/{public_id}/reassign",
    response={200: TaskOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Give a task to another salesperson who works the account",
)
def tasks_reassign(request, public_id: str, payload: ReassignIn):
    task = task_for(user=request.auth, public_id=public_id)
    task_reassign(task=task, actor=request.auth, owner=_staff_user(payload.owner, "owner"))
    return task_out(task_for(user=request.auth, public_id=public_id))
