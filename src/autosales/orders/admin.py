from django.contrib import admin

from autosales.orders.models import Order, OrderEvent, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ["sku", "name", "quantity", "unit_price", "line_total", "quantity_shipped"]
    readonly_fields = fields
    can_delete = False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    fields = ["at", "kind", "actor", "data"]
    readonly_fields = fields
    can_delete = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Read-mostly: status changes go through the back office (and order_transition), never a raw edit."""

    list_display = ["number", "organization", "status", "payment_kind", "total", "currency", "placed_at", "source"]
    list_filter = ["status", "payment_kind", "source"]
    search_fields = ["number", "organization__name", "lines__sku", "customer_reference"]
    list_select_related = ["organization"]
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline, OrderEventInline]
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
