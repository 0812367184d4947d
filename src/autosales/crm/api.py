"""Router `crm`: customers' profiles, key people, timelines and tasks for salespeople, managers and the systems
they connect (an ERP, a phone system logging calls). The one rule of crm.permissions applies: a salesperson
reaches their own and shared accounts (anything else is a 404), a manager all, anyone else nothing (403)."""

import datetime as dt

from django.db.models import Q
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from autosales.core.errors import DomainError
from autosales.core.http.errors import error_responses
from autosales.core.http.pagination import Page, PageParams, paginate
from autosales.crm.models import LOGGED_KINDS, Activity, ActivityKind, Contact, Profile, Task
from autosales.crm.permissions import crm_required
from autosales.crm.phones import phone_display
from autosales.crm.selectors import (
    contact_for,
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


# --- schemas ---


class ProfileOut(Schema):
    public_id: str = Field(description="The organization's id, e.g. in /api/v1/crm/organizations/{public_id}.")
    name: str
    email: str
    salesperson: str | None = Field(description="Username of the account's owner.")
    shared_with: list[str]
    is_prospect: bool = Field(description="True until the organization's first order.")
    segment: str
    industry: str
    website: str
    phone: str = Field(description="E.164, e.g. +13125550100")
    phone_display: str
    phone_other: str
    tags: list[str]
    notes: str
    terms: str
    credit_hold: bool
    time_zone: str


class ProfileIn(Schema):
    segment: str | None = Field(None, max_length=60)
    industry: str | None = Field(None, max_length=100)
    website: str | None = Field(None, max_length=200, examples=["https://harborview.example"])
    phone: str | None = Field(None, max_length=40, examples=["(312) 555-0100"])
    phone_other: str | None = Field(None, max_length=40)
    tags: list[str] | None = Field(None, max_length=50)
    notes: str | None = Field(None, max_length=20000)


class ProspectIn(Schema):
    name: str = Field(min_length=1, max_length=200, examples=["Lakeview Marina"])
    email: str = Field("", max_length=254)
    website: str = Field("", max_length=200)
    phone: str = Field("", max_length=40)


class OrganizationFilters(Schema):
    q: str = Field("", max_length=100, description="Name, email, or a contact's name or email.")
    mine: bool = Field(False, description="Only the accounts the caller owns.")
    tag: str = Field("", max_length=60)


class ContactOut(Schema):
    public_id: str
    organization: str = Field(description="The organization's public id.")
    name: str
    title: str
    roles: list[str] = Field(description=f"Of {', '.join(Contact.Role.values)}.")
    email: str
    phone: str
    mobile: str
    preferred_channel: str
    has_login: bool
    notes: str


class ContactIn(Schema):
    name: str = Field(min_length=1, max_length=200, examples=["Elena Garcia"])
    title: str = Field("", max_length=100, examples=["Purchasing manager"])
    roles: list[str] = Field([], max_length=5, examples=[["purchaser", "decision_maker"]])
    email: str = Field("", max_length=254, examples=["elena.garcia@harborview.example"])
    phone: str = Field("", max_length=40, examples=["312 555 0101"])
    mobile: str = Field("", max_length=40)
    preferred_channel: str = Field("", description=f"One of {', '.join(Contact.Channel.values)}, or empty.")
    notes: str = Field("", max_length=20000)


class ContactPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    title: str | None = Field(None, max_length=100)
    roles: list[str] | None = Field(None, max_length=5)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    mobile: str | None = Field(None, max_length=40)
    preferred_channel: str | None = None
    notes: str | None = Field(None, max_length=20000)


class ActivityOut(Schema):
    public_id: str
    organization: str
    contact: str | None
    author: str | None
    at: dt.datetime
    kind: str
    kind_label: str
    subject: str
    body: str
    direction: str
    outcome: str
    duration_minutes: int | None
    location: str
    system: bool = Field(description="Written by the shop itself (orders, standing orders, emails sent).")
    data: dict


class ActivityIn(Schema):
    organization: str = Field(description="The organization's public id.")
    kind: str = Field(description=f"One of {', '.join(k.value for k in LOGGED_KINDS)}.", examples=["call"])
    contact: str | None = Field(None, description="A contact's public id.")
    subject: str = Field("", max_length=300, examples=["Spring reorder"])
    body: str = Field("", max_length=100_000)
    at: dt.datetime | None = Field(None, description="When it happened (default: now); not in the future.")
    direction: str = Field("", description="inbound or outbound (calls, emails)")
    outcome: str = Field("", description=f"Calls: one of {', '.join(Activity.Outcome.values)}.")
    duration_minutes: int | None = Field(None, ge=0, le=1440)
    location: str = Field("", max_length=300)


class TimelineFilters(Schema):
    kind: list[str] = Field([], description=f"Only these kinds: {', '.join(ActivityKind.values)}.")
    contact: str = Field("", description="Only the timeline of this contact (public id).")


class TaskOut(Schema):
    public_id: str
    organization: str
    organization_name: str
    contact: str | None
    owner: str
    title: str
    kind: str
    due_at: dt.datetime
    priority: int = Field(description="1 low, 2 normal, 3 high")
    status: str
    notes: str
    recurrence: str
    reminder_offsets: list[int] | None = Field(description="Minutes before due; null: the owner's settings.")
    order: str | None = Field(description="The linked order's public id.")
    completed_at: dt.datetime | None


class TaskIn(Schema):
    organization: str
    title: str = Field(min_length=1, max_length=200, examples=["Call to remind them to reorder"])
    due_at: dt.datetime = Field(examples=["2027-03-02T09:30:00-06:00"])
    kind: str = Field("call", description=f"One of {', '.join(Task.Kind.values)}.")
    owner: str | None = Field(None, description="Username of the owner (default: the caller).")
    contact: str | None = None
    priority: int = 2
    notes: str = Field("", max_length=20000)
    recurrence: str = Field("", max_length=500, examples=["FREQ=MONTHLY;BYMONTHDAY=1"])
    reminder_offsets: list[int] | None = Field(None, examples=[[1440, 15]])
    order: str | None = Field(None, description="Public id of the customer's order the task is about.")


class TaskPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    due_at: dt.datetime | None = None
    kind: str | None = None
    priority: int | None = None
    notes: str | None = Field(None, max_length=20000)
    contact: str | None = None
    recurrence: str | None = Field(None, max_length=500)
    reminder_offsets: list[int] | None = None


class TaskFilters(Schema):
    status: str = Field("open", description="open, done, cancelled, or empty for all.")
    mine: bool = Field(False, description="Only the caller's tasks.")
    organization: str = Field("", description="Only this organization's tasks (public id).")


class SnoozeIn(Schema):
    minutes: int = Field(ge=1, le=525600, examples=[60])


class ReassignIn(Schema):
    owner: str = Field(description="Username of the salesperson who takes the task over.")


# --- serializers ---


def profile_out(organization: Organization) -> dict:
    """The profile as the API shows it; `crm_profile` with its tags and sharing should be loaded (lists do)."""
    try:
        profile = organization.crm_profile
    except Profile.DoesNotExist:
        profile = Profile(organization=organization)
    has_profile = profile.pk is not None
    if hasattr(organization, "has_ordered"):
        is_prospect = not organization.has_ordered
    else:
        is_prospect = not organization.orders.filter(placed_at__isnull=False).exists()
    return {
        "public_id": organization.public_id,
        "name": organization.name,
        "email": organization.email,
        "salesperson": organization.salesperson.username if organization.salesperson_id else None,
        "shared_with": [u.username for u in profile.shared_with.all()] if has_profile else [],
        "is_prospect": is_prospect,
        "segment": profile.segment,
        "industry": profile.industry,
        "website": profile.website,
        "phone": profile.phone,
        "phone_display": phone_display(profile.phone),
        "phone_other": profile.phone_other,
        "tags": [t.name for t in profile.tags.all()] if has_profile else [],
        "notes": organization.notes,
        "terms": organization.terms_label,
        "credit_hold": organization.credit_hold,
        "time_zone": organization.local_time_zone,
    }


def contact_out(contact: Contact) -> dict:
    return {
        "public_id": contact.public_id,
        "organization": contact.organization.public_id,
        "name": contact.name,
        "title": contact.title,
        "roles": contact.roles,
        "email": contact.email,
        "phone": contact.phone,
        "mobile": contact.mobile,
        "preferred_channel": contact.preferred_channel,
        "has_login": contact.has_login,
        "notes": contact.notes,
    }


def activity_out(activity: Activity, organization_id: str) -> dict:
    return {
        "public_id": activity.public_id,
        "organization": organization_id,
        "contact": activity.contact.public_id if activity.contact_id else None,
        "author": activity.author.username if activity.author_id else None,
        "at": activity.at,
        "kind": activity.kind,
        "kind_label": activity.get_kind_display(),
        "subject": activity.subject,
        "body": activity.body,
        "direction": activity.direction,
        "outcome": activity.outcome,
        "duration_minutes": activity.duration_minutes,
        "location": activity.location,
        "system": activity.is_system,
        "data": activity.data,
    }


def task_out(task: Task) -> dict:
    return {
        "public_id": task.public_id,
        "organization": task.organization.public_id,
        "organization_name": task.organization.name,
        "contact": task.contact.public_id if task.contact_id else None,
        "owner": task.owner.username,
        "title": task.title,
        "kind": task.kind,
        "due_at": task.due_at,
        "priority": task.priority,
        "status": task.status,
        "notes": task.notes,
        "recurrence": task.recurrence,
        "reminder_offsets": task.reminder_offsets,
        "order": task.order.public_id if task.order_id else None,
        "completed_at": task.completed_at,
    }


def _contact_of(organization: Organization, public_id: str | None) -> Contact | None:
    if not public_id:
        return None
    contact = contacts_of(organization=organization).filter(public_id=public_id).first()
    if contact is None:
        raise DomainError("invalid", "That person is not one of this organization's contacts.", "contact")
    return contact


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
    return profile_out(_organization_loaded(request, public_id))


@router.patch(
    "/organizations/{public_id}/profile",
    response={200: ProfileOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Change the given fields of a customer's profile",
)
def organizations_profile_update(request, public_id: str, payload: ProfileIn):
    organization = organization_for(user=request.auth, public_id=public_id)
    profile_update(organization=organization, actor=request.auth, **payload.dict(exclude_unset=True))
    return profile_out(_organization_loaded(request, public_id))


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
    contact = _contact_of(organization, filters.contact) if filters.contact else None
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
        organization=organization, actor=request.auth, contact=_contact_of(organization, payload.contact), **data
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
    values = payload.dict(exclude={"organization", "owner", "contact", "order"})
    order = None
    if payload.order:
        order = Order.objects.filter(organization=organization, public_id=payload.order).first()
        if order is None:
            raise DomainError("invalid", "That order is not this organization's.", "order")
    task = task_create(
        organization=organization,
        actor=request.auth,
        owner=_staff_user(payload.owner, "owner") if payload.owner else None,
        contact=_contact_of(organization, payload.contact),
        order=order,
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
        values["contact"] = _contact_of(task.organization, values["contact"])
    task_update(task=task, actor=request.auth, **values)
    return task_out(task_for(user=request.auth, public_id=public_id))


@router.post(
    "/tasks/{public_id}/complete",
    response={200: TaskOut, **error_responses(401, 403, 404, 409)},
    summary="Mark a task done (a recurring task opens its next one)",
)
def tasks_complete(request, public_id: str):
    task_transition(task=task_for(user=request.auth, public_id=public_id), to=Task.Status.DONE, actor=request.auth)
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
