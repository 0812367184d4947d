"""Staff manage price lists and prices; lists stay fast with tens of thousands of prices."""

from django.contrib import admin

from autosales.core.cache_versions import PRICES, VersionsBumpingAdmin
from autosales.pricing.models import Price, PriceList


class PriceInline(admin.TabularInline):
    """A variant's prices, one per price list (shown on the variant)."""

    model = Price
    fields = ["price_list", "amount"]
    extra = 0
    autocomplete_fields = ["price_list"]


@admin.register(PriceList)
class PriceListAdmin(VersionsBumpingAdmin, admin.ModelAdmin):
    cache_versions = (PRICES,)
    list_display = ["name", "currency", "is_default", "organization_names"]
    list_filter = ["is_default", "currency"]
    search_fields = ["name", "organizations__name"]
    autocomplete_fields = ["organizations"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("organizations")

    @admin.display(description="organizations")
    def organization_names(self, obj):
        names = [o.name for o in obj.organizations.all()]
        return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


@admin.register(Price)
class PriceAdmin(VersionsBumpingAdmin, admin.ModelAdmin):
    cache_versions = (PRICES,)
    list_display = ["sku", "product", "price_list", "amount"]
    list_select_related = ["variant__product", "price_list"]
    list_filter = ["price_list"]
    list_per_page = 100
    search_fields = ["^variant__sku", "variant__product__name"]
    search_help_text = "SKU (starts with) or product name."
    show_full_result_count = False
    autocomplete_fields = ["variant", "price_list"]
    ordering = ["variant__sku", "price_list__name"]

    @admin.display(description="SKU", ordering="variant__sku")
    def sku(self, obj):
        return obj.variant.sku

    @admin.display(description="product", ordering="variant__product__name")
    def product(self, obj):
        return obj.variant.product.name
