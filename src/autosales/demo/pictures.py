"""Pictures of the demo's bulbs, drawn with Pillow when the demo loads (no picture files are shipped).

Each product gets one simple drawing of its shape (an A-lamp, a reflector, a candle, a tube, a high-bay
fixture), its glass tinted by its colour temperature, stored like any uploaded picture (catalog.images).
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from autosales.catalog.images import product_image_add
from autosales.catalog.models import Product
from autosales.demo.catalog_data import PRODUCTS

SIZE = 600
BACKGROUND = (244, 246, 248)
METAL = (150, 156, 164)
METAL_DARK = (112, 118, 126)


def _glass(product: Product) -> tuple[int, int, int]:
    """Warm glass for 2200-3000 K, neutral around 3500-4000 K, cool for 5000 K and up; a colour bulb is violet."""
    variant = next(iter(product.variants.all()), None)
    text = str((variant.attributes or {}).get("colour_temperature", "")) if variant else ""
    if "colour" in product.slug:
        return (196, 120, 255)
    digits = "".join(ch for ch in text.split("–")[0] if ch.isdigit())
    kelvin = int(digits) if digits else 2700
    if kelvin <= 3000:
        return (255, 214, 120)
    if kelvin <= 4000:
        return (255, 238, 196)
    return (214, 232, 255)


def _base(draw: ImageDraw.ImageDraw, top: int, width: int, rings: int = 4) -> None:
    left = SIZE // 2 - width // 2
    for i in range(rings):
        y = top + i * 22
        draw.rounded_rectangle([left, y, left + width, y + 18], radius=6, fill=METAL if i % 2 == 0 else METAL_DARK)
    draw.ellipse([SIZE // 2 - 18, top + rings * 22 - 2, SIZE // 2 + 18, top + rings * 22 + 26], fill=(60, 60, 64))


def _draw(kind: str, glass: tuple[int, int, int]) -> Image.Image:
    picture = Image.new("RGB", (SIZE, SIZE), BACKGROUND)
    draw = ImageDraw.Draw(picture)
    outline = tuple(max(c - 70, 0) for c in glass)
    if kind == "tube":
        draw.rounded_rectangle([40, 260, 560, 340], radius=40, fill=glass, outline=outline, width=4)
        for x in (20, 540):
            draw.rectangle([x, 270, x + 40, 330], fill=METAL)
            draw.rectangle([x + (0 if x < 300 else 36), 285, x + (4 if x < 300 else 40), 315], fill=METAL_DARK)
    elif kind == "high-bay":
        draw.rectangle([285, 60, 315, 170], fill=METAL_DARK)
        draw.ellipse([110, 150, 490, 300], fill=METAL, outline=METAL_DARK, width=4)
        draw.ellipse([150, 250, 450, 360], fill=glass, outline=outline, width=4)
        for x in range(170, 440, 30):
            draw.line([x, 170, x + 10, 260], fill=METAL_DARK, width=6)
    elif kind == "reflector":
        draw.pieslice([120, 40, 480, 380], 180, 360, fill=glass, outline=outline, width=4)
        draw.polygon([(120, 210), (480, 210), (370, 380), (230, 380)], fill=glass, outline=outline)
        draw.line([(120, 210), (480, 210)], fill=outline, width=4)
        _base(draw, 380, 120)
    elif kind == "candle":
        draw.ellipse([210, 90, 390, 330], fill=glass, outline=outline, width=4)
        draw.polygon([(300, 40), (240, 190), (360, 190)], fill=glass)
        _base(draw, 330, 70, rings=5)
    else:  # the classic A shape: a round bulb over a neck
        draw.ellipse([140, 50, 460, 370], fill=glass, outline=outline, width=4)
        draw.polygon([(190, 320), (410, 320), (360, 420), (240, 420)], fill=glass)
        draw.line([(190, 320), (240, 420)], fill=outline, width=4)
        draw.line([(410, 320), (360, 420)], fill=outline, width=4)
        _base(draw, 420, 120)
    return picture


def _kind(product: Product) -> str:
    slug = product.slug
    if "tube" in slug:
        return "tube"
    if "high-bay" in slug or "corn" in slug:
        return "high-bay"
    if any(word in slug for word in ("br30", "par", "gu10", "flood", "spot")):
        return "reflector"
    if any(word in slug for word in ("candle", "flame", "b11", "ca10")):
        return "candle"
    return "a-lamp"


def bulb_picture(product: Product) -> bytes:
    """A PNG drawing of the product's bulb."""
    out = io.BytesIO()
    _draw(_kind(product), _glass(product)).save(out, "PNG")
    return out.getvalue()


def demo_pictures_load() -> int:
    """Every demo product without a picture gets its drawing; returns the pictures made."""
    made = 0
    demo = Product.objects.filter(slug__in=[spec.slug for spec in PRODUCTS], images__isnull=True)
    for product in demo.prefetch_related("variants").order_by("id"):
        product_image_add(
            product=product, data=bulb_picture(product), name=product.slug, alt_text=f"Drawing of the {product.name}"
        )
        made += 1
    return made
