"""The demo: a light-bulb supplier with its catalog, stock, staff and business customers.

Each domain's demo data is its own loader function; `demo_load` runs them in order in one
transaction. Loaders only create what is missing and never overwrite existing rows, so running the
demo again (every `autosales demo` does) changes nothing, including what people changed while trying it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from autosales.catalog.models import Category, Product, Variant
from autosales.catalog.services import product_reindex
from autosales.core.money import quantize
from autosales.customers.models import Address, Membership, Organization, User
from autosales.demo.checkout_data import demo_shipping
from autosales.demo.recurring_data import demo_standing_orders
from autosales.inventory.models import StockLevel, Warehouse
from autosales.pricing.models import Price, PriceList

DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class DemoSignIn:
    username: str
    role: str
    organization: str = ""


@dataclass(frozen=True)
class DemoSummary:
    """What the demo holds after loading, and how many rows this run created (0 on a re-run)."""

    created: int
    categories: int
    products: int
    variants: int
    warehouses: int
    organizations: int
    users: int
    sign_ins: tuple[DemoSignIn, ...]


# The sign-ins printed at start, in the order people will want to try them.
SIGN_INS = (
    DemoSignIn("shopper", "Private customer", "Sam Taylor"),
    DemoSignIn("buyer", "Business buyer, net 30 on account, contract prices", "Northwind Facilities Management"),
    DemoSignIn("buyer2", "Business buyer, net 30 on account", "Lakeside Property Group"),
    DemoSignIn("sales", "Salesperson (owns the business accounts)"),
    DemoSignIn("clerk", "Fulfillment clerk (picks, packs, ships)"),
    DemoSignIn("manager", "Manager (catalog, prices, credit, users)"),
)

# ---------------------------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------------------------

CATEGORIES = [
    # slug, name, description
    (
        "led-a-lamps",
        "LED A-lamps",
        "Everyday household bulbs in the classic A shape, for table lamps and ceiling fixtures.",
    ),
    (
        "reflectors-floods",
        "Reflectors & floods",
        "BR, PAR and GU10 reflector lamps for recessed cans, track and outdoor floods.",
    ),
    ("candelabra", "Candelabra", "Small-base E12 candle and flame-tip bulbs for chandeliers and sconces."),
    (
        "t8-tubes",
        "Tubes (T8)",
        "4 ft and 2 ft T8 LED tubes that replace fluorescent lamps in troffers and strip lights.",
    ),
    ("smart-bulbs", "Smart bulbs", "Wi-Fi bulbs with app and voice control, tunable white or full colour."),
    (
        "industrial-high-bay",
        "Industrial high-bay",
        "High-output fixtures and mogul-base lamps for warehouses, gyms and workshops.",
    ),
]


@dataclass(frozen=True)
class _ProductSpec:
    slug: str
    name: str
    category: str
    brand: str
    sku_prefix: str
    wattage: str
    base: str
    lumens: str
    description: str
    # (colour temperature in kelvin or a range, pack size, list price, weight in grams)
    variants: tuple[tuple[str, int, str, int], ...]


PRODUCTS = [
    _ProductSpec(
        "a19-led-60w-equivalent",
        "A19 LED Bulb, 60 W equivalent",
        "led-a-lamps",
        "Lumora",
        "LUM-A19-9W",
        "9 W",
        "E26",
        "800 lm",
        "The everyday bulb: 800 lumens for 9 watts, instant full brightness, rated 15,000 hours. "
        "Non-dimmable; suitable for enclosed fixtures.",
        (
            ("2700 K", 4, "7.99", 160),
            ("2700 K", 12, "21.49", 470),
            ("5000 K", 4, "7.99", 160),
            ("5000 K", 12, "21.49", 470),
        ),
    ),
    _ProductSpec(
        "a19-led-100w-equivalent",
        "A19 LED Bulb, 100 W equivalent",
        "led-a-lamps",
        "Lumora",
        "LUM-A19-14W",
        "14 W",
        "E26",
        "1600 lm",
        "Bright A19 for reading lamps and high ceilings: 1600 lumens from 14 watts, CRI 90.",
        (("2700 K", 4, "13.99", 190), ("3000 K", 4, "13.99", 190), ("5000 K", 4, "13.99", 190)),
    ),
    _ProductSpec(
        "a19-dimmable-led-75w-equivalent",
        "A19 Dimmable LED, 75 W equivalent",
        "led-a-lamps",
        "BrightWorks",
        "BW-A19D-11W",
        "11 W",
        "E26",
        "1100 lm",
        "Smooth dimming to 10 % on most trailing-edge dimmers, no flicker, no buzz.",
        (("2700 K", 4, "15.49", 180), ("3000 K", 4, "15.49", 180), ("4000 K", 4, "15.49", 180)),
    ),
    _ProductSpec(
        "a21-led-150w-equivalent",
        "A21 LED Bulb, 150 W equivalent",
        "led-a-lamps",
        "Lumora",
        "LUM-A21-20W",
        "20 W",
        "E26",
        "2600 lm",
        "High-output A21 for garages, basements and utility rooms.",
        (("3000 K", 2, "12.99", 150), ("5000 K", 2, "12.99", 150)),
    ),
    _ProductSpec(
        "a19-filament-led-40w-equivalent",
        "A19 Filament LED, 40 W equivalent",
        "led-a-lamps",
        "Vintra",
        "VIN-A19F-4W",
        "4.5 W",
        "E26",
        "450 lm",
        "Clear glass with LED filaments: the look of a classic incandescent at a tenth of the power.",
        (("2700 K", 6, "14.99", 240), ("2700 K", 24, "54.99", 920)),
    ),
    _ProductSpec(
        "a15-appliance-led-40w-equivalent",
        "A15 Appliance LED, 40 W equivalent",
        "led-a-lamps",
        "Lumora",
        "LUM-A15-4W",
        "4 W",
        "E26",
        "450 lm",
        "Compact A15 for ceiling fans, range hoods and refrigerators; rated from -20 °C to 45 °C.",
        (("2700 K", 2, "6.49", 70), ("5000 K", 2, "6.49", 70)),
    ),
    _ProductSpec(
        "g25-led-globe-40w-equivalent",
        "G25 LED Globe, 40 W equivalent",
        "led-a-lamps",
        "Vintra",
        "VIN-G25-5W",
        "5 W",
        "E26",
        "450 lm",
        "Frosted globe for bathroom vanity bars and pendant lights.",
        (("2700 K", 6, "17.99", 360), ("3000 K", 6, "17.99", 360)),
    ),
    _ProductSpec(
        "br30-led-flood-65w-equivalent",
        "BR30 LED Flood, 65 W equivalent",
        "reflectors-floods",
        "BrightWorks",
        "BW-BR30-8W",
        "8 W",
        "E26",
        "650 lm",
        "Wide 110° beam for 5 and 6 inch recessed cans; dimmable.",
        (("2700 K", 6, "19.99", 480), ("3000 K", 6, "19.99", 480), ("5000 K", 6, "19.99", 480)),
    ),
    _ProductSpec(
        "par38-led-outdoor-flood-120w-equivalent",
        "PAR38 LED Outdoor Flood, 120 W equivalent",
        "reflectors-floods",
        "Lumora",
        "LUM-PAR38-15W",
        "15 W",
        "E26",
        "1300 lm",
        "Weatherproof (IP65) flood for porches, driveways and signs; 40° beam.",
        (("3000 K", 1, "11.49", 240), ("4000 K", 1, "11.49", 240), ("5000 K", 1, "11.49", 240)),
    ),
    _ProductSpec(
        "gu10-led-spot-50w-equivalent",
        "GU10 LED Spot, 50 W equivalent",
        "reflectors-floods",
        "Vintra",
        "VIN-GU10-6W",
        "6 W",
        "GU10",
        "500 lm",
        "Twist-lock spot for track and recessed lighting; 36° beam, dimmable.",
        (("2700 K", 10, "29.99", 450), ("3000 K", 10, "29.99", 450), ("4000 K", 10, "29.99", 450)),
    ),
    _ProductSpec(
        "par30-long-neck-led-75w-equivalent",
        "PAR30 Long Neck LED, 75 W equivalent",
        "reflectors-floods",
        "BrightWorks",
        "BW-PAR30L-11W",
        "11 W",
        "E26",
        "850 lm",
        "Long-neck PAR30 for track heads and deep recessed cans in shops and galleries; CRI 93.",
        (("3000 K", 6, "32.99", 660), ("4000 K", 6, "32.99", 660)),
    ),
    _ProductSpec(
        "b11-led-candle-40w-equivalent",
        "B11 LED Candle, 40 W equivalent",
        "candelabra",
        "Vintra",
        "VIN-B11-4W",
        "4 W",
        "E12",
        "350 lm",
        "Frosted torpedo-shaped candle bulb for chandeliers and wall sconces; dimmable.",
        (("2700 K", 6, "13.49", 150), ("3000 K", 6, "13.49", 150)),
    ),
    _ProductSpec(
        "b11-filament-candle-60w-equivalent",
        "B11 Filament Candle, 60 W equivalent",
        "candelabra",
        "Vintra",
        "VIN-B11F-5W",
        "5.5 W",
        "E12",
        "500 lm",
        "Clear filament candle that sparkles in crystal chandeliers.",
        (("2700 K", 6, "16.99", 160), ("2700 K", 12, "31.99", 310)),
    ),
    _ProductSpec(
        "ca10-flame-tip-led-25w-equivalent",
        "CA10 Flame Tip LED, 25 W equivalent",
        "candelabra",
        "Lumora",
        "LUM-CA10-2W",
        "2.5 W",
        "E12",
        "200 lm",
        "Bent-tip candle for decorative fixtures and night lights.",
        (("2700 K", 4, "8.99", 90), ("3000 K", 4, "8.99", 90)),
    ),
    _ProductSpec(
        "t8-led-tube-4ft-ballast-bypass",
        "T8 LED Tube, 4 ft, ballast bypass",
        "t8-tubes",
        "BrightWorks",
        "BW-T8BB-15W",
        "15 W",
        "G13",
        "2200 lm",
        "Single-ended ballast-bypass tube: wire it straight to line voltage and the ballast never fails again.",
        (
            ("4000 K", 10, "54.99", 3200),
            ("4000 K", 25, "127.49", 8000),
            ("5000 K", 10, "54.99", 3200),
            ("5000 K", 25, "127.49", 8000),
        ),
    ),
    _ProductSpec(
        "t8-led-tube-4ft-plug-and-play",
        "T8 LED Tube, 4 ft, plug-and-play",
        "t8-tubes",
        "BrightWorks",
        "BW-T8PP-12W",
        "12 W",
        "G13",
        "1800 lm",
        "Works on the existing electronic ballast: swap the fluorescent tube, done.",
        (("3000 K", 10, "64.99", 3100), ("4000 K", 10, "64.99", 3100), ("5000 K", 10, "64.99", 3100)),
    ),
    _ProductSpec(
        "t8-led-tube-2ft",
        "T8 LED Tube, 2 ft",
        "t8-tubes",
        "Lumora",
        "LUM-T8-2FT-9W",
        "9 W",
        "G13",
        "1100 lm",
        "Type A+B (ballast or direct wire) 2 ft tube for 2x2 troffers.",
        (("4000 K", 10, "44.99", 1700), ("5000 K", 10, "44.99", 1700)),
    ),
    _ProductSpec(
        "smart-a19-colour-wifi-bulb",
        "Smart A19 Colour Wi-Fi Bulb",
        "smart-bulbs",
        "Lumora Connect",
        "LC-A19RGB-9W",
        "9 W",
        "E26",
        "800 lm",
        "16 million colours and tunable white; works with the app and the major voice assistants, no hub needed.",
        (("2700–6500 K", 1, "14.99", 80), ("2700–6500 K", 4, "49.99", 330)),
    ),
    _ProductSpec(
        "smart-br30-tunable-white-flood",
        "Smart BR30 Tunable White Flood",
        "smart-bulbs",
        "Lumora Connect",
        "LC-BR30TW-10W",
        "10 W",
        "E26",
        "650 lm",
        "Warm in the evening, cool in the morning: schedules and scenes for recessed lights.",
        (("2700–6500 K", 1, "17.99", 95), ("2700–6500 K", 2, "32.99", 190)),
    ),
    _ProductSpec(
        "smart-gu10-colour-spot",
        "Smart GU10 Colour Spot",
        "smart-bulbs",
        "Lumora Connect",
        "LC-GU10RGB-5W",
        "5 W",
        "GU10",
        "350 lm",
        "Colour and tunable white in a GU10 spot for track lighting.",
        (("2700–6500 K", 1, "15.99", 55), ("2700–6500 K", 3, "42.99", 165)),
    ),
    _ProductSpec(
        "smart-filament-edison-st19",
        "Smart Filament Edison ST19",
        "smart-bulbs",
        "Vintra Connect",
        "VC-ST19F-7W",
        "7 W",
        "E26",
        "800 lm",
        "Vintage Edison shape with app dimming and schedules.",
        (("2700 K", 1, "16.49", 70), ("2700 K", 2, "29.99", 140)),
    ),
    _ProductSpec(
        "ufo-led-high-bay",
        "UFO LED High-Bay",
        "industrial-high-bay",
        "BrightWorks Industrial",
        "BWI-UFO",
        "",
        "Hook mount",
        "",
        "Round die-cast high-bay for ceilings of 15 to 40 ft; 0-10 V dimming, IP65, 5-year warranty.",
        (),
    ),
    _ProductSpec(
        "led-corn-bulb-e39-mogul",
        "LED Corn Bulb, E39 mogul",
        "industrial-high-bay",
        "BrightWorks Industrial",
        "BWI-CORN",
        "",
        "E39",
        "",
        "Replaces 250 W to 400 W metal-halide lamps in existing high-bay and parking-lot fixtures.",
        (),
    ),
    _ProductSpec(
        "linear-led-high-bay-4ft",
        "Linear LED High-Bay, 4 ft",
        "industrial-high-bay",
        "BrightWorks Industrial",
        "BWI-LIN4",
        "165 W",
        "Hard-wired",
        "23000 lm",
        "Linear high-bay for aisles and gymnasiums; chain or surface mount.",
        (("4000 K", 1, "169.00", 5200), ("5000 K", 1, "169.00", 5200)),
    ),
]

# High-bay fixtures differ in power and output, not only in colour: (sku suffix, wattage, lumens,
# colour temperature, list price, weight in grams).
HIGH_BAY_VARIANTS = {
    "ufo-led-high-bay": (
        ("100W-50K", "100 W", "14000 lm", "5000 K", "89.00", 2600),
        ("150W-40K", "150 W", "21000 lm", "4000 K", "109.00", 3300),
        ("150W-50K", "150 W", "21000 lm", "5000 K", "109.00", 3300),
        ("200W-50K", "200 W", "28000 lm", "5000 K", "139.00", 4100),
    ),
    "led-corn-bulb-e39-mogul": (
        ("60W-50K", "60 W", "8400 lm", "5000 K", "39.99", 520),
        ("100W-50K", "100 W", "14000 lm", "5000 K", "59.99", 760),
    ),
}


@dataclass(frozen=True)
class _VariantSpec:
    sku: str
    name: str
    attributes: dict
    price: Decimal
    weight_grams: int


def _kelvin_code(colour_temperature: str) -> str:
    if "–" in colour_temperature:
        return "TW"
    return colour_temperature.split(" ")[0][:2] + "K"


def _variant_specs(spec: _ProductSpec) -> list[_VariantSpec]:
    rows = []
    if spec.slug in HIGH_BAY_VARIANTS:
        for suffix, wattage, lumens, cct, price, weight in HIGH_BAY_VARIANTS[spec.slug]:
            attributes = {
                "wattage": wattage,
                "base": spec.base,
                "colour_temperature": cct,
                "pack_size": "1",
                "lumens": lumens,
            }
            rows.append(
                _VariantSpec(f"{spec.sku_prefix}-{suffix}", f"{wattage}, {cct}", attributes, Decimal(price), weight)
            )
        return rows
    for cct, pack, price, weight in spec.variants:
        attributes = {
            "wattage": spec.wattage,
            "base": spec.base,
            "colour_temperature": cct,
            "pack_size": str(pack),
            "lumens": spec.lumens,
        }
        pack_label = "single" if pack == 1 else f"{pack}-pack"
        name = f"{cct}, {pack_label}"
        rows.append(
            _VariantSpec(f"{spec.sku_prefix}-{_kelvin_code(cct)}-{pack}", name, attributes, Decimal(price), weight)
        )
    return rows


# Shown on the home page.
FEATURED = {
    "a19-led-60w-equivalent",
    "t8-led-tube-4ft-ballast-bypass",
    "smart-a19-colour-wifi-bulb",
    "ufo-led-high-bay",
}


def demo_catalog_load() -> int:
    """Categories, products and variants of the light-bulb catalog exist; returns the rows created."""
    created = 0
    categories = {}
    for position, (slug, name, description) in enumerate(CATEGORIES):
        category, was_created = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
        categories[slug] = category
        created += was_created
    for spec in PRODUCTS:
        product, was_created = Product.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "category": categories[spec.category],
                "brand": spec.brand,
                "description": spec.description,
                "is_featured": spec.slug in FEATURED,
            },
        )
        created += was_created
        for position, variant in enumerate(_variant_specs(spec)):
            _, was_created = Variant.objects.get_or_create(
                sku=variant.sku,
                defaults={
                    "product": product,
                    "name": variant.name,
                    "attributes": variant.attributes,
                    "weight_grams": variant.weight_grams,
                    "position": position,
                },
            )
            created += was_created
        product_reindex(product=product)
    return created


# ---------------------------------------------------------------------------------------------
# Staff and customers
# ---------------------------------------------------------------------------------------------

STAFF = [
    # username, first name, last name, group (all three are staff)
    ("sales", "Riley", "Morgan", "salesperson"),
    ("clerk", "Chris", "Park", "fulfillment"),
    ("manager", "Jordan", "Blake", "manager"),
]


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


def _user_ensure(
    *, username: str, first_name: str, last_name: str, email: str, is_staff: bool = False
) -> tuple[User, bool]:
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = User.objects.create_user(
        username=username,
        password=DEMO_PASSWORD,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
    )
    return user, True


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


def demo_staff_load() -> int:
    """The salesperson, fulfillment clerk and manager exist, each in their staff group; returns the rows created."""
    created = 0
    for username, first_name, last_name, group_name in STAFF:
        group, was_created = Group.objects.get_or_create(name=group_name)
        created += was_created
        user, was_created = _user_ensure(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@brightbulbs.example.com",
            is_staff=True,
        )
        created += was_created
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
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
            user, was_created = _user_ensure(
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
    user, was_created = _user_ensure(
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


# ---------------------------------------------------------------------------------------------
# Prices and stock
# ---------------------------------------------------------------------------------------------

CONTRACT_PRICE_LIST = "Northwind Facilities contract"
CONTRACT_CUSTOMER = "Northwind Facilities Management"
# Northwind buys A-lamps and T8 tubes by the pallet: 15 % off the list price.
CONTRACT_DISCOUNT = Decimal("0.85")
CONTRACT_CATEGORIES = ("led-a-lamps", "t8-tubes")


def _list_prices() -> dict[str, Decimal]:
    return {variant.sku: variant.price for spec in PRODUCTS for variant in _variant_specs(spec)}


def demo_prices_load() -> int:
    """Every demo variant has a list price, and Northwind has its contract price list; returns the rows created."""
    created = 0
    default_list = PriceList.objects.filter(is_default=True).first()
    if default_list is None:
        default_list = PriceList.objects.create(name="List prices", is_default=True, currency=settings.CURRENCY)
        created += 1
    contract, was_created = PriceList.objects.get_or_create(
        name=CONTRACT_PRICE_LIST, defaults={"currency": default_list.currency}
    )
    created += was_created
    northwind = Organization.objects.get(name=CONTRACT_CUSTOMER, kind=Organization.Kind.BUSINESS)
    if not contract.organizations.filter(pk=northwind.pk).exists():
        contract.organizations.add(northwind)

    list_prices = _list_prices()
    variants = Variant.objects.filter(sku__in=list_prices).select_related("product__category")
    existing = set(
        Price.objects.filter(variant__in=variants, price_list__in=[default_list, contract]).values_list(
            "price_list_id", "variant_id"
        )
    )
    new_prices = []
    for variant in variants:
        amount = list_prices[variant.sku]
        if (default_list.pk, variant.pk) not in existing:
            new_prices.append(Price(price_list=default_list, variant=variant, amount=amount))
        if variant.product.category.slug in CONTRACT_CATEGORIES and (contract.pk, variant.pk) not in existing:
            special = quantize(amount * CONTRACT_DISCOUNT, contract.currency)
            new_prices.append(Price(price_list=contract, variant=variant, amount=special))
    Price.objects.bulk_create(new_prices)
    return created + len(new_prices)


WAREHOUSES = [
    # code, name, city, region, priority
    ("CHI", "Chicago Distribution Center", "Chicago", "IL", 0),
    ("ATL", "Atlanta Distribution Center", "Atlanta", "GA", 1),
]
# Stock that tells a story in the demo: a few SKUs are nearly gone, one is sold out everywhere.
LOW_STOCK = {"VIN-B11F-5W-27K-12": (3, 0), "LC-BR30TW-10W-TW-2": (2, 1), "BWI-UFO-200W-50K": (4, 0)}
OUT_OF_STOCK = "LC-GU10RGB-5W-TW-3"


def _stock_for(index: int, sku: str) -> tuple[int, int]:
    """Units on hand in (CHI, ATL): varied but the same on every machine."""
    if sku == OUT_OF_STOCK:
        return 0, 0
    if sku in LOW_STOCK:
        return LOW_STOCK[sku]
    return 120 + (index * 37) % 380, 40 + (index * 53) % 260


def demo_stock_load() -> int:
    """Both distribution centers exist and hold stock of every demo variant; returns the rows created."""
    created = 0
    warehouses = []
    for code, name, city, region, priority in WAREHOUSES:
        warehouse, was_created = Warehouse.objects.get_or_create(
            code=code, defaults={"name": name, "city": city, "region": region, "country": "US", "priority": priority}
        )
        warehouses.append(warehouse)
        created += was_created
    skus = [variant.sku for spec in PRODUCTS for variant in _variant_specs(spec)]
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=skus)}
    existing = set(
        StockLevel.objects.filter(variant__in=variants.values(), warehouse__in=warehouses).values_list(
            "warehouse_id", "variant_id"
        )
    )
    new_levels = []
    for index, sku in enumerate(skus):
        variant = variants[sku]
        for warehouse, on_hand in zip(warehouses, _stock_for(index, sku), strict=True):
            if (warehouse.pk, variant.pk) not in existing:
                new_levels.append(StockLevel(warehouse=warehouse, variant=variant, on_hand=on_hand))
    StockLevel.objects.bulk_create(new_levels)
    return created + len(new_levels)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

# In dependency order: prices need customers (the contract list), customers need the salesperson.
DEMO_LOADERS: list[Callable[[], int]] = [
    demo_catalog_load,
    demo_staff_load,
    demo_customers_load,
    demo_prices_load,
    demo_stock_load,
    demo_shipping,
    demo_standing_orders,
]


@transaction.atomic
def demo_load() -> DemoSummary:
    """The demo data exists in full; rows already there are left exactly as they are."""
    created = sum(loader() for loader in DEMO_LOADERS)
    return DemoSummary(
        created=created,
        categories=Category.objects.count(),
        products=Product.objects.count(),
        variants=Variant.objects.count(),
        warehouses=Warehouse.objects.count(),
        organizations=Organization.objects.count(),
        users=User.objects.count(),
        sign_ins=SIGN_INS,
    )
