"""Staff manage warehouses and stock levels; lists stay fast with tens of thousands of stock rows."""

from django import forms
from django.contrib import admin
from django.db.models import F

from autosales.core.cache_versions import DELIVERY, STOCK, VersionsBumpingAdmin, versions_bump
from autosales.inventory.models import ClosedDay, StockLevel, Warehouse


class StockLevelForm(forms.ModelForm):
    """Staff set units on hand; allocations belong to orders and are never written from here."""

    class Meta:
        model = StockLevel
        fields = ["warehouse", "variant", "on_hand"]

    def clean_on_hand(self):
        on_hand = self.cleaned_data["on_hand"]
        if on_hand is not None and on_hand < 0:
            raise forms.ValidationError("Units on hand cannot be negative.")
        allocated = self.instance.allocated if self.instance.pk else 0
        if on_hand is not None and on_hand < allocated:
            raise forms.ValidationError(
                f"{allocated} units are allocated to orders not yet shipped: on hand cannot be less."
            )
        return on_hand

    def save(self, commit=True):
        if commit and self.instance.pk:
            # Only on_hand: a stale `allocated` read when the form was shown must not overwrite the live one.
            self.instance.save(update_fields=["on_hand"])
            return self.instance
        return super().save(commit)


class StockLevelInline(admin.TabularInline):
    """A variant's stock in each warehouse (shown on the variant)."""

    model = StockLevel
    form = StockLevelForm
    fields = ["warehouse", "on_hand", "allocated"]
    readonly_fields = ["allocated"]  # allocations belong to orders, not to hand edits
    extra = 0


class ClosedDayInline(admin.TabularInline):
    """The center's own closed days (public holidays come from its holiday country)."""

    model = ClosedDay
    fields = ["day", "reason"]
    extra = 0


@admin.register(Warehouse)
class WarehouseAdmin(VersionsBumpingAdmin, admin.ModelAdmin):
    cache_versions = (STOCK, DELIVERY)
    list_display = [
        "code",
        "name",
        "city",
        "region",
        "country",
        "priority",
        "time_zone",
        "cutoff_time",
        "working_days_display",
        "handling_days",
        "is_active",
    ]
    list_filter = ["is_active", "country"]
    search_fields = ["code", "name", "city"]
    ordering = ["priority", "code"]
    inlines = [ClosedDayInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "city", "region", "country", "priority", "is_active"]}),
        (
            "Shipping calendar",
            {
                "fields": [
                    "time_zone",
                    "working_days",
                    "cutoff_time",
                    "handling_days",
                    "holiday_country",
                    "holiday_subdivision",
                ],
                "description": "When orders leave this center: see docs/delivery-dates.md.",
            },
        ),
    ]

    @admin.display(description="working days")
    def working_days_display(self, obj):
        return obj.working_days_display


@admin.register(ClosedDay)
class ClosedDayAdmin(VersionsBumpingAdmin, admin.ModelAdmin):
    cache_versions = (DELIVERY,)
    list_display = ["day", "warehouse", "reason"]
    list_filter = ["warehouse"]
    list_select_related = ["warehouse"]
    date_hierarchy = "day"
    ordering = ["-day"]


class AvailabilityFilter(admin.SimpleListFilter):
    title = "availability"
    parameter_name = "availability"

    def lookups(self, request, model_admin):
        return [("out", "Nothing available"), ("available", "Units available")]

    def queryset(self, request, queryset):
        if self.value() == "out":
            return queryset.filter(on_hand__lte=F("allocated"))
        if self.value() == "available":
            return queryset.filter(on_hand__gt=F("allocated"))
        return queryset


@admin.register(StockLevel)
class StockLevelAdmin(VersionsBumpingAdmin, admin.ModelAdmin):
    cache_versions = (STOCK,)
    list_display = ["sku", "product", "warehouse", "on_hand", "allocated", "available"]
    list_select_related = ["variant__product", "warehouse"]
    list_filter = ["warehouse", AvailabilityFilter]
    list_editable = ["on_hand"]
    list_per_page = 100
    search_fields = ["^variant__sku", "variant__product__name"]
    search_help_text = "SKU (starts with) or product name."
    show_full_result_count = False
    autocomplete_fields = ["variant"]
    form = StockLevelForm
    ordering = ["variant__sku", "warehouse__priority"]

    def get_readonly_fields(self, request, obj=None):
        return ["warehouse", "variant", "allocated"] if obj else ["allocated"]

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=StockLevelForm, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["on_hand"])
        else:
            obj.save()
        versions_bump(STOCK)

    @admin.display(description="SKU", ordering="variant__sku")
    def sku(self, obj):
        return obj.variant.sku

    @admin.display(description="product", ordering="variant__product__name")
    def product(self, obj):
        return obj.variant.product.name

    @admin.display(description="available")
    def available(self, obj):
        return obj.available
