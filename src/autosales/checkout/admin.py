from django.contrib import admin

from autosales.checkout.models import CheckoutAttempt


@admin.register(CheckoutAttempt)
class CheckoutAttemptAdmin(admin.ModelAdmin):
    list_display = ["created_at", "organization", "idempotency_key", "status", "order", "error_code"]
    list_filter = ["status", "error_code"]
    search_fields = ["idempotency_key", "organization__name", "order__number"]
    readonly_fields = [f.name for f in CheckoutAttempt._meta.fields]

    def has_add_permission(self, request):
        return False
