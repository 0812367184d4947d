from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from autosales.customers.models import Address, Invitation, Membership, Organization, User
from autosales.customers.permissions import organization_change_allowed


class OrganizationMembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "job_title", "public_id", "created_at"]
    readonly_fields = ["public_id", "created_at"]
    autocomplete_fields = ["user"]


class AddressInline(admin.StackedInline):
    model = Address
    extra = 0
    fields = [
        ("label", "is_default"),
        ("name", "company"),
        "line1",
        "line2",
        ("city", "region", "postal_code", "country"),
        "phone",
    ]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "email", "terms_label", "credit_limit", "credit_hold", "salesperson", "created_at"]
    list_filter = ["kind", "has_account_terms", "payment_terms_days", "credit_hold", "salesperson"]
    search_fields = ["name", "email", "tax_id", "public_id", "memberships__user__username", "memberships__user__email"]
    list_select_related = ["salesperson"]
    autocomplete_fields = ["salesperson"]
    readonly_fields = ["public_id", "created_at", "updated_at", "account_balance"]
    inlines = [OrganizationMembershipInline, AddressInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "kind",
                    "public_id",
                    "email",
                    "phone",
                    "tax_id",
                    "tax_exemption_certificate",
                    "timezone",
                    "language",
                    "currency",
                ]
            },
        ),
        (
            "Vendor account",
            {"fields": ["has_account_terms", "payment_terms_days", "credit_limit", "credit_hold", "salesperson"]},
        ),
        (
            "Billing",
            {
                "fields": [
                    "invoicing",
                    "terms_basis",
                    "billing_email",
                    "reminder_days",
                    "credit_hold_after_days",
                    "account_balance",
                ]
            },
        ),
        ("Notes", {"fields": ["notes", "created_at", "updated_at"]}),
    ]

    @admin.display(description="terms")
    def terms_label(self, obj):
        return obj.terms_label

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return organization_change_allowed(user=request.user, organization=obj)


class UserMembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ["organization", "role", "job_title", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["organization"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", "memberships__role"]
    search_fields = ["username", "email", "first_name", "last_name", "memberships__organization__name"]
    inlines = [UserMembershipInline]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email", "phone", "current_organization"]}),
        ("Staff roles", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "email", "usable_password", "password1", "password2"]}),
    ]
    raw_id_fields = ["current_organization"]

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser hands out superuser status or one-off permissions; managers assign the staff groups.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "role", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role", ("accepted_at", admin.EmptyFieldListFilter), "expires_at"]
    search_fields = ["email", "organization__name", "invited_by__username", "invited_by__email"]
    list_select_related = ["organization", "invited_by"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["public_id", "invited_by", "accepted_at", "accepted_by", "created_at"]
    fields = [
        "organization",
        "email",
        "role",
        "expires_at",
        "public_id",
        "invited_by",
        "created_at",
        "accepted_at",
        "accepted_by",
    ]

    def has_add_permission(self, request):
        # Invitations are sent from the organization page, which also emails them.
        return False
