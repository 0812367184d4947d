from django.contrib import admin

from autosales.payments.models import Payment, PaymentEvent, PaymentMethodOnFile


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "order",
        "provider",
        "provider_reference",
        "amount",
        "currency",
        "status",
        "created_at",
    ]
    list_filter = ["provider", "status"]
    search_fields = ["provider_reference", "order__number", "public_id"]
    list_select_related = ["order"]
    exclude = ["token"]
    readonly_fields = [f.name for f in Payment._meta.fields if f.name != "token"]

    def has_add_permission(self, request):
        return False


@admin.register(PaymentEvent)
class PaymentEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "provider", "event_id", "kind", "provider_reference", "outcome"]
    list_filter = ["provider", "kind", "outcome"]
    search_fields = ["event_id", "provider_reference"]
    readonly_fields = [f.name for f in PaymentEvent._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(PaymentMethodOnFile)
class PaymentMethodOnFileAdmin(admin.ModelAdmin):
    list_display = ["public_id", "organization", "provider", "brand", "last4", "exp_month", "exp_year", "created_at"]
    list_filter = ["provider"]
    search_fields = ["organization__name", "customer_reference", "method_reference", "public_id"]
    list_select_related = ["organization"]
    readonly_fields = [f.name for f in PaymentMethodOnFile._meta.fields]

    def has_add_permission(self, request):
        return False
