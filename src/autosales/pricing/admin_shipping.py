from django.contrib import admin

from autosales.core.cache_versions import DELIVERY, PRICES, VersionsBumpingAdmin
from autosales.pricing.shipping import ShippingMethod
from autosales.pricing.tax import TaxRate


@admin.register(ShippingMethod)
class ShippingMethodAdmin(VersionsBumpingAdmin, admin.ModelAdmin):
    cache_versions = (DELIVERY,)  # transit days: the delivery dates the store shows
    list_display = [
        "name",
        "code",
        "kind",
        "base_rate",
        "rate_per_kg",
        "rate_per_item",
        "free_over",
        "transit_days_min",
        "transit_days_max",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(TaxRate)
class TaxRateAdmin(VersionsBumpingAdmin, admin.ModelAdmin):
    cache_versions = (PRICES,)  # the tax the checkout adds (pricing.tax.tax_rate_for)
    list_display = ["name", "country", "region", "rate_percent", "applies_to_shipping", "is_active"]
    list_filter = ["country", "applies_to_shipping", "is_active"]
    search_fields = ["name", "region"]
