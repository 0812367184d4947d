"""Request and response bodies of the CRM API."""

import datetime as dt

from ninja import Field, Schema

from autosales.billing.api import BalanceOut
from autosales.crm.models import LOGGED_KINDS, Activity, ActivityKind, Contact, Task


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
    credit: BalanceOut | None = Field(
        None,
        description="Billing's figures for an account with terms (balance, overdue, credit limit, available credit); "
        "on one organization's profile only, null in lists and for accounts that pay now.",
    )


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
    invoice: str | None = Field(description="The linked invoice's number.")
    completed_at: dt.datetime | None
    outcome: str = Field(description="How a done task went (blank while open).")
    rule: str = Field(description="The automation rule that made it (blank: made by a person).")


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
    invoice: str | None = Field(
        None, description="Number of the customer's invoice the task is about.", examples=["INV-2027-000123"]
    )


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


class TaskCompleteIn(Schema):
    outcome: str = Field(
        "",
        description=f"How it went: one of {', '.join(Task.Outcome.values)} (blank: done). A rule's chain may make the"
        " next task from it.",
        examples=["no_answer"],
    )


class SnoozeIn(Schema):
    minutes: int = Field(ge=1, le=525600, examples=[60])


class ReassignIn(Schema):
    owner: str = Field(description="Username of the salesperson who takes the task over.")
