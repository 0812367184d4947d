from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from autosales.core.models import BaseModel

# The largest quantity one order line may hold (the cart's guard against typos such as 10000000); a minimum or a
# pack size above it could never be ordered.
MAX_ORDER_UNITS = 100_000


class Category(BaseModel):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(BaseModel):
    """What a customer browses; it is sold as one or more variants (SKUs)."""

    name = models.CharField(max_length=200, db_index=True)
    slug = models.SlugField(max_length=220, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    description = models.TextField(blank=True)
    brand = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True, db_index=True)
    is_featured = models.BooleanField(default=False, db_index=True, help_text="Shown on the home page")
    allows_backorder = models.BooleanField(
        "may be backordered",
        default=False,
        help_text="Customers may order more than is in stock: what is there ships now, the rest when it arrives",
    )
    # What the product row does not hold itself: its variants' SKUs, names and attribute
    # values, kept by catalog.services.product_reindex. The full-text index (catalog/search.py)
    # weighs name, brand, this text and the description.
    search_document = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["category", "is_active", "name"])]

    def __str__(self) -> str:
        return self.name


class Variant(BaseModel):
    """One sellable item (a SKU) of a product, described by attributes such as wattage or pack size."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200, help_text="What sets this variant apart, e.g. '60 W, E26, 2700 K, 4-pack'")
    attributes = models.JSONField(default=dict, blank=True)
    weight_grams = models.PositiveIntegerField(default=0)
    min_quantity = models.PositiveIntegerField(
        "minimum quantity",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_ORDER_UNITS)],
        help_text="The fewest units one order line may hold",
    )
    pack_size = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_ORDER_UNITS)],
        help_text="Sold only in multiples of this many units, e.g. 12 for bulbs sold in cases of 12",
    )
    is_active = models.BooleanField(default=True, db_index=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["product_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_quantity__gte=1), name="catalog_variant_min_quantity_positive"
            ),
            models.CheckConstraint(condition=models.Q(pack_size__gte=1), name="catalog_variant_pack_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} — {self.product.name} {self.name}".strip()

    @property
    def least_quantity(self) -> int:
        """The fewest units one line may order: the minimum, rounded up to a whole number of packs."""
        pack = max(self.pack_size or 1, 1)
        return -(-max(self.min_quantity or 1, 1) // pack) * pack

    @property
    def has_quantity_rule(self) -> bool:
        """Whether the variant is sold otherwise than one unit at a time (a minimum or packs)."""
        return self.least_quantity > 1 or (self.pack_size or 1) > 1


class ProductFacet(models.Model):
    """One attribute value (name and value) that an active variant of a product has: facet counts and filters read
    these rows instead of the variants' JSON. Kept by catalog.services.product_reindex; never edited by hand."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="facets")
    name = models.CharField(max_length=100)
    value = models.CharField(max_length=200)

    class Meta:
        # The unique index serves every read: a list's facet rows are found by product, and a filter checks
        # (product, name, value). An index leading with the name would tempt SQLite's planner (without ANALYZE
        # statistics) to scan every product's rows for a name instead of the list's (10x slower on 10,000 products).
        constraints = [models.UniqueConstraint(fields=["product", "name", "value"], name="catalog_facet_unique")]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class ProductImage(BaseModel):
    """A picture of a product: the file as uploaded or imported, and a thumbnail made from it (catalog.images)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="products/%Y/%m/")
    thumbnail = models.ImageField(
        upload_to="products/thumbnails/",
        blank=True,
        editable=False,
        width_field="thumbnail_width",
        height_field="thumbnail_height",
    )
    # Kept by Django when the thumbnail is saved: pages give the <img> its size without opening the file.
    thumbnail_width = models.PositiveIntegerField(null=True, editable=False)
    thumbnail_height = models.PositiveIntegerField(null=True, editable=False)
    alt_text = models.CharField(max_length=200, blank=True, help_text="What the picture shows, for screen readers")
    position = models.PositiveIntegerField(default=0)
    # The URL or path a catalog import took the picture from: importing the same file again adds nothing.
    source = models.CharField(max_length=500, blank=True, editable=False)

    class Meta:
        ordering = ["product_id", "position", "id"]

    def __str__(self) -> str:
        return self.image.name
