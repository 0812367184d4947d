"""Read-only: an issued invoice never changes (corrections are credit notes), and payments, allocations and the
ledger are written by billing's services only, so the admin shows them and changes nothing."""

from django.contrib import admin

from autosales.billing.models import Allocation, Invoice, InvoiceLine, LedgerEntry, PaymentReceived


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["sku", "description", "quantity", "unit_price", "line_total"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "organization", "status", "total", "amount_settled", "currency", "due_date"]
    list_filter = ["kind", "status", "source"]
    search_fields = ["number", "organization__name", "customer_reference", "shipment_reference"]
    list_select_related = ["organization"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline]


@admin.register(PaymentReceived)
class PaymentReceivedAdmin(ReadOnlyAdmin):
    list_display = ["received_on", "organization", "method", "amount", "amount_allocated", "currency", "reference"]
    list_filter = ["method"]
    search_fields = ["organization__name", "reference", "payer"]
    list_select_related = ["organization"]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["at", "invoice", "payment", "credit_note", "amount"]
    list_select_related = ["invoice", "payment", "credit_note"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "organization", "kind", "description", "amount", "currency"]
    list_filter = ["kind"]
    search_fields = ["organization__name", "description"]
    list_select_related = ["organization"]
