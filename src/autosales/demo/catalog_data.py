"""The demo catalog: the light-bulb supplier's categories, products and variants (with the list price and
weight of each variant, which the price and stock loaders read too)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from autosales.catalog.models import Category, Product, Variant
from autosales.catalog.services import product_reindex

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
    min_quantity: int = 1
    pack_size: int = 1


# How a few variants are ordered: (SKU prefix, bulbs per sellable unit) -> (minimum quantity, pack size). The
# demo's standing orders (40 cartons of T8 tubes) and order history (24 PAR30 six-packs) keep to them.
ORDER_UNITS = {
    ("LUM-A19-9W", 4): (1, 6),  # A19 four-packs ship by the case of 6
    ("BW-PAR30L-11W", 6): (1, 4),  # PAR30 six-packs by the case of 4
    ("BW-T8PP-12W", 10): (10, 1),  # T8 tube cartons: at least 10 per order
}


def _kelvin_code(colour_temperature: str) -> str:
    if "–" in colour_temperature:
        return "TW"
    return colour_temperature.split(" ")[0][:2] + "K"


def variant_specs(spec: _ProductSpec) -> list[_VariantSpec]:
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
        minimum, pack_size = ORDER_UNITS.get((spec.sku_prefix, pack), (1, 1))
        rows.append(
            _VariantSpec(
                f"{spec.sku_prefix}-{_kelvin_code(cct)}-{pack}",
                name,
                attributes,
                Decimal(price),
                weight,
                min_quantity=minimum,
                pack_size=pack_size,
            )
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
        for position, variant in enumerate(variant_specs(spec)):
            _, was_created = Variant.objects.get_or_create(
                sku=variant.sku,
                defaults={
                    "product": product,
                    "name": variant.name,
                    "attributes": variant.attributes,
                    "weight_grams": variant.weight_grams,
                    "min_quantity": variant.min_quantity,
                    "pack_size": variant.pack_size,
                    "position": position,
                },
            )
            created += was_created
        product_reindex(product=product)
    return created
