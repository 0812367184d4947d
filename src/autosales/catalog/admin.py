"""Staff manage the catalog here; every list stays fast with 10,000 products (fixed queries, no full counts)."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html

from autosales.catalog.images import product_image_thumbnail
from autosales.catalog.models import Category, Product, ProductImage, Variant
from autosales.catalog.services import product_reindex, products_reindex
from autosales.core.cache_versions import CATALOG, PRICES, STOCK, VersionsBumpingAdmin

# The admin is an entry point like a view, so it may show other apps' rows beside the catalog's:
# a variant's prices and stock are edited on the variant.
from autosales.inventory.admin import StockLevelInline
from autosales.pricing.admin import PriceInline


@admin.register(Category)
class CategoryAdmin(VersionsBumpingAdmin, admin.ModelAdmin):
    cache_versions = (CATALOG,)
    list_display = ["name", "parent", "slug", "position", "product_count"]
    list_select_related = ["parent"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    ordering = ["parent__name", "position", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_product_count=Count("products"))

    @admin.display(description="products", ordering="_product_count")
    def product_count(self, obj):
        return obj._product_count


class VariantInline(admin.TabularInline):
    model = Variant
    fields = ["sku", "name", "attributes", "weight_grams", "min_quantity", "pack_size", "position", "is_active"]
    extra = 0
    show_change_link = True


class ProductImageInline(admin.TabularInline):
    """Pictures uploaded here get their thumbnail when the product is saved (catalog.images)."""

    model = ProductImage
    fields = ["image", "alt_text", "position", "thumbnail_preview"]
    readonly_fields = ["thumbnail_preview"]
    extra = 0

    @admin.display(description="thumbnail")
    def thumbnail_preview(self, obj):
        if not obj.thumbnail:
            return "—"
        return format_html('<img src="{}" alt="" style="max-height:4rem">', obj.thumbnail.url)


@admin.register(Product)
class ProductAdmin(VersionsBumpingAdmin, admin.ModelAdmin):
    cache_versions = (CATALOG, PRICES, STOCK)
    list_display = ["name", "category", "brand", "is_active", "is_featured", "updated_at"]
    list_display_links = ["name"]
    list_select_related = ["category"]
    list_filter = ["is_active", "is_featured", ("category", admin.RelatedOnlyFieldListFilter)]
    list_editable = ["is_featured"]
    list_per_page = 50
    search_fields = ["name", "slug", "brand", "=variants__sku"]
    search_help_text = "Name, slug or brand (contains), or a SKU (exact)."
    show_full_result_count = False
    autocomplete_fields = ["category"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["search_document", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "category", "brand", "description"]}),
        ("Visibility", {"fields": ["is_active", "is_featured", "allows_backorder"]}),
        ("Search", {"classes": ["collapse"], "fields": ["search_document", "created_at", "updated_at"]}),
    ]
    inlines = [ProductImageInline, VariantInline]
    actions = ["activate", "deactivate", "feature", "unfeature", "reindex"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        product_reindex(product=form.instance)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is ProductImage:
            for image_form in formset.forms:
                image = image_form.instance
                if (
                    image.pk
                    and not image_form.cleaned_data.get("DELETE")
                    and ("image" in image_form.changed_data or not image.thumbnail)
                ):
                    product_image_thumbnail(image=image)

    @admin.action(description="Put the selected products on sale")
    def activate(self, request, queryset):
        self.message_user(request, f"{queryset.update(is_active=True)} products on sale.", messages.SUCCESS)

    @admin.action(description="Take the selected products off sale")
    def deactivate(self, request, queryset):
        self.message_user(request, f"{queryset.update(is_active=False)} products off sale.", messages.SUCCESS)

    @admin.action(description="Feature the selected products on the home page")
    def feature(self, request, queryset):
        self.message_user(request, f"{queryset.update(is_featured=True)} products featured.", messages.SUCCESS)

    @admin.action(description="Stop featuring the selected products")
    def unfeature(self, request, queryset):
        self.message_user(request, f"{queryset.update(is_featured=False)} products no longer featured.")

    @admin.action(description="Rebuild the search text of the selected products")
    def reindex(self, request, queryset):
        changed = products_reindex(product_ids=queryset.values_list("id", flat=True))
        self.message_user(request, f"{changed} products had stale search text.", messages.SUCCESS)


@admin.register(Variant)
class VariantAdmin(VersionsBumpingAdmin, admin.ModelAdmin):
    cache_versions = (CATALOG, PRICES, STOCK)
    list_display = ["sku", "product", "name", "min_quantity", "pack_size", "is_active", "position"]
    list_select_related = ["product"]
    list_filter = ["is_active", ("product__category", admin.RelatedOnlyFieldListFilter)]
    list_per_page = 50
    search_fields = ["^sku", "name", "product__name"]
    search_help_text = "SKU (starts with), variant or product name."
    show_full_result_count = False
    autocomplete_fields = ["product"]
    fields = [
        "product",
        "sku",
        "name",
        "attributes",
        "weight_grams",
        "min_quantity",
        "pack_size",
        "position",
        "is_active",
    ]
    inlines = [PriceInline, StockLevelInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        product_reindex(product=form.instance.product)

    def delete_model(self, request, obj):
        product = obj.product
        super().delete_model(request, obj)
        product_reindex(product=product)
