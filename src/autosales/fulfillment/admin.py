"""Managers assign clerks to their distribution centers; shipments and receipts are read here, written by the services."""

from django.contrib import admin

from autosales.fulfillment.models import CenterAssignment, Shipment, ShipmentLine, StockReceipt, StockReceiptLine


@admin.register(CenterAssignment)
class CenterAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "warehouse"]
    list_select_related = ["user", "warehouse"]
    list_filter = ["warehouse"]
    search_fields = ["user__username", "user__email", "warehouse__code"]
    autocomplete_fields = ["user"]


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    fields = ["order_line", "quantity"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["number", "order", "warehouse", "carrier", "tracking_number", "status", "shipped_at"]
    list_select_related = ["order", "warehouse"]
    list_filter = ["status", "warehouse", "carrier"]
    search_fields = ["number", "tracking_number", "order__number"]
    inlines = [ShipmentLineInline]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False  # a shipment consumes stock: only shipment_create makes one

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StockReceiptLineInline(admin.TabularInline):
    model = StockReceiptLine
    fields = ["variant", "quantity", "allocated_to_backorders"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(StockReceipt)
class StockReceiptAdmin(admin.ModelAdmin):
    list_display = ["received_at", "warehouse", "reference", "received_by"]
    list_select_related = ["warehouse", "received_by"]
    list_filter = ["warehouse"]
    search_fields = ["reference"]
    inlines = [StockReceiptLineInline]

    def has_add_permission(self, request):
        return False  # a receipt allocates backorders: only stock_receive makes one

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
