"""The demo customers: five business customers on account terms with their people and addresses, and one
private customer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from autosales.customers.models import Address, Membership, Organization, User
from autosales.demo.sign_ins import user_ensure


@dataclass(frozen=True)
class _PersonSpec:
    username: str
    first_name: str
    last_name: str
    job_title: str
    role: str = Membership.Role.BUYER


@dataclass(frozen=True)
class _AddressSpec:
    label: str
    line1: str
    city: str
    region: str
    postal_code: str
    line2: str = ""


@dataclass(frozen=True)
class _BusinessSpec:
    name: str
    domain: str
    phone: str
    timezone: str
    credit_limit: str
    credit_hold: bool
    people: tuple[_PersonSpec, ...]
    addresses: tuple[_AddressSpec, ...]
    notes: str = ""
    language: str = ""  # blank: the shop's


BUSINESSES = [
    _BusinessSpec(
        "Northwind Facilities Management",
        "northwind.example.com",
        "+1 312 555 0140",
        "America/Chicago",
        "50000.00",
        False,
        (
            _PersonSpec("buyer", "Dana", "Whitfield", "Purchasing manager", Membership.Role.ADMIN),
            _PersonSpec("marcus.lee", "Marcus", "Lee", "Maintenance supervisor"),
        ),
        (
            _AddressSpec("Head office", "233 S Wacker Dr", "Chicago", "IL", "60606", "Suite 4100"),
            _AddressSpec("Maintenance depot", "4800 W 47th St", "Chicago", "IL", "60632"),
        ),
        "Maintains 40 office buildings in the Chicago area; contract prices on A-lamps and T8 tubes.",
    ),
    _BusinessSpec(
        "Lakeside Property Group",
        "lakeside.example.com",
        "+1 414 555 0172",
        "America/Chicago",
        "25000.00",
        False,
        (
            _PersonSpec("buyer2", "Priya", "Raman", "Operations director", Membership.Role.ADMIN),
            _PersonSpec("tom.becker", "Tom", "Becker", "Property manager"),
        ),
        (_AddressSpec("Office", "777 E Wisconsin Ave", "Milwaukee", "WI", "53202"),),
        "Apartment buildings around Milwaukee; relamps common areas twice a year.",
    ),
    _BusinessSpec(
        "Harbor View Hotels",
        "harborview.example.com",
        "+1 617 555 0118",
        "America/New_York",
        "40000.00",
        False,
        (
            _PersonSpec("elena.garcia", "Elena", "Garcia", "Director of engineering", Membership.Role.ADMIN),
            _PersonSpec("james.oneill", "James", "O'Neill", "Chief engineer"),
            _PersonSpec("aisha.khan", "Aisha", "Khan", "Procurement coordinator"),
        ),
        (
            _AddressSpec("Receiving dock", "1 Harbor View Way", "Boston", "MA", "02210"),
            _AddressSpec("Cape Cod property", "250 Ocean St", "Hyannis", "MA", "02601"),
        ),
    ),
    _BusinessSpec(
        "Summit School District",
        "summitschools.example.org",
        "+1 303 555 0199",
        "America/Denver",
        "30000.00",
        False,
        (_PersonSpec("kevin.ortiz", "Kevin", "Ortiz", "Facilities coordinator", Membership.Role.ADMIN),),
        (_AddressSpec("District warehouse", "1500 Logan St", "Denver", "CO", "80203"),),
        "Converting gymnasiums from metal-halide to LED high-bays this summer.",
        language="es",  # its emails are in Spanish (see docs/configuration.md, SHOP_LANGUAGE)
    ),
    _BusinessSpec(
        "Redline Auto Body",
        "redline.example.net",
        "+1 313 555 0163",
        "America/Detroit",
        "5000.00",
        True,
        (
            _PersonSpec("frank.miller", "Frank", "Miller", "Owner", Membership.Role.ADMIN),
            _PersonSpec("lisa.chen", "Lisa", "Chen", "Office manager"),
        ),
        (_AddressSpec("Shop", "8800 Michigan Ave", "Detroit", "MI", "48210"),),
        "On credit hold: two invoices more than 60 days overdue.",
    ),
]

PRIVATE_CUSTOMER = _PersonSpec("shopper", "Sam", "Taylor", "")
PRIVATE_ADDRESS = _AddressSpec("Home", "742 Evergreen Terrace", "Springfield", "IL", "62704")


def _addresses_ensure(*, organization: Organization, recipient: str, addresses: tuple[_AddressSpec, ...]) -> int:
    created = 0
    has_default = organization.addresses.filter(is_default=True).exists()
    for spec in addresses:
        _, was_created = Address.objects.get_or_create(
            organization=organization,
            label=spec.label,
            defaults={
                "name": recipient,
                "company": organization.name if organization.kind == Organization.Kind.BUSINESS else "",
                "line1": spec.line1,
                "line2": spec.line2,
                "city": spec.city,
                "region": spec.region,
                "postal_code": spec.postal_code,
                "country": "US",
                "phone": organization.phone,
                "is_default": not has_default,
            },
        )
        has_default = True
        created += was_created
    return created


def demo_customers_load() -> int:
    """Five business customers on account terms with their people and addresses, and one private customer."""
    created = 0
    salesperson = User.objects.get(username="sales")
    for spec in BUSINESSES:
        organization, was_created = Organization.objects.get_or_create(
            name=spec.name,
            kind=Organization.Kind.BUSINESS,
            defaults={
                "email": f"accounts@{spec.domain}",
                "phone": spec.phone,
                "timezone": spec.timezone,
                "language": spec.language,
                "currency": settings.CURRENCY,
                "has_account_terms": True,
                "payment_terms_days": 30,
                "credit_limit": Decimal(spec.credit_limit),
                "credit_hold": spec.credit_hold,
                "salesperson": salesperson,
                "notes": spec.notes,
            },
        )
        created += was_created
        for person in spec.people:
            user, was_created = user_ensure(
                username=person.username,
                first_name=person.first_name,
                last_name=person.last_name,
                email=f"{person.first_name}.{person.last_name}@{spec.domain}".lower().replace("'", ""),
            )
            created += was_created
            _, was_created = Membership.objects.get_or_create(
                user=user, organization=organization, defaults={"role": person.role, "job_title": person.job_title}
            )
            created += was_created
        recipient = f"{spec.people[0].first_name} {spec.people[0].last_name}"
        created += _addresses_ensure(organization=organization, recipient=recipient, addresses=spec.addresses)

    person = PRIVATE_CUSTOMER
    full_name = f"{person.first_name} {person.last_name}"
    user, was_created = user_ensure(
        username=person.username,
        first_name=person.first_name,
        last_name=person.last_name,
        email="sam.taylor@example.com",
    )
    created += was_created
    organization, was_created = Organization.objects.get_or_create(
        name=full_name,
        kind=Organization.Kind.PRIVATE,
        defaults={"email": user.email, "timezone": "America/Chicago", "currency": settings.CURRENCY},
    )
    created += was_created
    _, was_created = Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": Membership.Role.ADMIN}
    )
    created += was_created
    created += _addresses_ensure(organization=organization, recipient=full_name, addresses=(PRIVATE_ADDRESS,))
    return created
