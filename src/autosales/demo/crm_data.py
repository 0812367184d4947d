"""The demo CRM: the salesperson's customers with profiles, their key people (members with a store login and a
few without), a timeline of calls, visits and notes over the past weeks, tasks (overdue, today, upcoming, one
repeating monthly) and a prospect that has not ordered yet."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from autosales.core import clock
from autosales.crm.models import Activity, Contact, Profile, SalesSettings, Tag, Task
from autosales.customers.models import Membership, Organization, User

PROFILES = {
    # organization: (segment, industry, website, phone, tags)
    "Northwind Facilities Management": (
        "Facilities",
        "Facility management",
        "https://northwind.example.com",
        "+13125550140",
        ["key account", "contract prices"],
    ),
    "Lakeside Property Group": (
        "Real estate",
        "Residential property",
        "https://lakeside.example.com",
        "+14145550172",
        ["relamp twice a year"],
    ),
    "Harbor View Hotels": (
        "Hospitality",
        "Hotels",
        "https://harborview.example.com",
        "+16175550118",
        ["key account", "LED retrofit"],
    ),
    "Summit School District": (
        "Education",
        "Public schools",
        "https://summitschools.example.org",
        "+13035550199",
        ["LED retrofit", "summer project"],
    ),
    "Redline Auto Body": ("Automotive", "Auto body repair", "", "", ["credit hold"]),
}
ROLES = {
    "Purchasing manager": ["purchaser", "decision_maker"],
    "Operations director": ["decision_maker"],
    "Director of engineering": ["decision_maker", "technical"],
    "Chief engineer": ["technical"],
    "Procurement coordinator": ["purchaser"],
    "Facilities coordinator": ["purchaser", "technical"],
}
# Key people without a store login: (organization, name, title, roles, email, phone)
EXTRA_CONTACTS = [
    (
        "Harbor View Hotels",
        "Mike Sullivan",
        "Receiving supervisor",
        ["receiving"],
        "receiving@harborview.example.com",
        "+16175550131",
    ),
    (
        "Northwind Facilities Management",
        "Grace Kim",
        "Accounts payable",
        ["accounts_payable"],
        "ap@northwind.example.com",
        "+13125550188",
    ),
]
# (organization, days ago, hour, kind, subject, body, extra)
ACTIVITIES = [
    (
        "Harbor View Hotels",
        21,
        10,
        "visit",
        "Walk-through of the Cape Cod property",
        "Counted 340 halogen PAR30s in the lobby and corridors; Elena wants a quote for LED replacements.",
        {"location": "250 Ocean St, Hyannis"},
    ),
    (
        "Harbor View Hotels",
        14,
        15,
        "email",
        "Quote for 340 LED PAR30s",
        "Sent the quote with the contract price and the spring delivery dates.",
        {"direction": "outbound"},
    ),
    (
        "Harbor View Hotels",
        6,
        11,
        "call",
        "Follow-up on the PAR30 quote",
        "Elena is waiting for the budget sign-off at the end of the month.",
        {"direction": "outbound", "outcome": "connected", "duration_minutes": 8},
    ),
    (
        "Northwind Facilities Management",
        9,
        9,
        "meeting",
        "Quarterly review",
        "Dana is happy with the standing order; asks whether T8 tubes can move to every six weeks.",
        {"location": "233 S Wacker Dr"},
    ),
    (
        "Northwind Facilities Management",
        2,
        16,
        "call",
        "Invoice question",
        "Grace asked for a copy of last month's statement.",
        {"direction": "inbound", "outcome": "connected", "duration_minutes": 4},
    ),
    (
        "Summit School District",
        4,
        13,
        "call",
        "Gym high-bays",
        "Left a message about the summer install window.",
        {"direction": "outbound", "outcome": "voicemail", "duration_minutes": 1},
    ),
    (
        "Redline Auto Body",
        3,
        10,
        "note",
        "Credit hold",
        "Two invoices over 60 days. Frank promised a payment by Friday.",
        {},
    ),
]
# (organization, title, kind, days from today, hour, priority, notes, recurrence)
TASKS = [
    (
        "Summit School District",
        "Call Kevin back about the gym high-bays",
        "call",
        -1,
        10,
        3,
        "He did not answer on Monday.",
        "",
    ),
    (
        "Harbor View Hotels",
        "Call Elena about the PAR30 budget",
        "call",
        0,
        15,
        3,
        "Budget sign-off was due at the end of the month.",
        "",
    ),
    (
        "Redline Auto Body",
        "Check the promised payment",
        "todo",
        0,
        17,
        2,
        "Lift the credit hold once both invoices are paid.",
        "",
    ),
    (
        "Northwind Facilities Management",
        "Remind Dana to reorder T8 tubes",
        "call",
        3,
        9,
        2,
        "",
        "FREQ=MONTHLY;BYMONTHDAY=1",
    ),
    (
        "Lakeside Property Group",
        "Visit Priya before the spring relamp",
        "visit",
        8,
        11,
        2,
        "Bring the new A19 samples.",
        "",
    ),
]
PROSPECT = (
    "Lakeview Marina",
    "https://lakeview-marina.example.com",
    "+12625550155",
    "Ann Lee",
    "ann@lakeview-marina.example.com",
)


def _at(days: int, hour: int, zone: str) -> dt.datetime:
    local_day = clock.now().astimezone(ZoneInfo(zone)).date() + dt.timedelta(days=days)
    return dt.datetime.combine(local_day, dt.time(hour), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def demo_crm_load() -> int:
    """The salesperson's CRM exists (profiles, key people, a timeline, tasks, a prospect); returns the rows created."""
    sales = User.objects.filter(username="sales").first()
    if sales is None:
        return 0
    created = 0
    settings_row, was_created = SalesSettings.objects.get_or_create(
        user=sales, defaults={"timezone": "America/Chicago", "digest_hour": 7}
    )
    created += was_created
    zone = settings_row.timezone or "America/Chicago"
    organizations = {o.name: o for o in Organization.objects.filter(name__in=[*PROFILES, PROSPECT[0]])}
    for name, (segment, industry, website, phone, tags) in PROFILES.items():
        organization = organizations.get(name)
        if organization is None or Profile.objects.filter(organization=organization).exists():
            continue
        profile = Profile.objects.create(
            organization=organization, segment=segment, industry=industry, website=website, phone=phone
        )
        profile.tags.set([Tag.objects.get_or_create(name=t)[0] for t in tags])
        created += 1
        for membership in Membership.objects.filter(organization=organization).select_related("user"):
            user = membership.user
            Contact.objects.create(
                organization=organization,
                name=user.get_full_name() or user.username,
                title=membership.job_title,
                roles=ROLES.get(membership.job_title, []),
                email=user.email,
                phone=user.phone,
                preferred_channel="phone" if membership.is_admin else "email",
                user=user,
            )
            created += 1
        for org_name, contact_name, title, roles, email, phone in EXTRA_CONTACTS:
            if org_name == name:
                Contact.objects.create(
                    organization=organization, name=contact_name, title=title, roles=roles, email=email, phone=phone
                )
                created += 1
        for org_name, days, hour, kind, subject, body, extra in ACTIVITIES:
            if org_name == name:
                Activity.objects.create(
                    organization=organization,
                    contact=Contact.objects.filter(organization=organization).order_by("id").first(),
                    author=sales,
                    at=_at(-days, hour, zone),
                    kind=kind,
                    subject=subject,
                    body=body,
                    **extra,
                )
                created += 1
        for org_name, title, kind, days, hour, priority, notes, recurrence in TASKS:
            if org_name == name:
                Task.objects.create(
                    organization=organization,
                    contact=Contact.objects.filter(organization=organization).order_by("id").first(),
                    owner=sales,
                    created_by=sales,
                    title=title,
                    kind=kind,
                    due_at=_at(days, hour, zone),
                    priority=priority,
                    notes=notes,
                    recurrence=recurrence,
                )
                created += 1
    name, website, phone, contact_name, email = PROSPECT
    if name not in organizations:
        prospect = Organization.objects.create(name=name, salesperson=sales, notes="Met at the Midwest Marina Expo.")
        Profile.objects.create(
            organization=prospect, segment="Marinas", industry="Marina", website=website, phone=phone
        )
        Contact.objects.create(
            organization=prospect, name=contact_name, title="Harbor master", roles=["decision_maker"], email=email
        )
        Task.objects.create(
            organization=prospect,
            owner=sales,
            created_by=sales,
            title="Send Ann the dock lighting catalog",
            kind="email",
            due_at=_at(1, 9, zone),
        )
        created += 4
    return created
