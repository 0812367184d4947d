"""The CRM in the admin, under the same rule as the back office and the API (crm.permissions): a salesperson's
lists hold their own and shared accounts only, another account's object is not found, fulfillment sees no CRM."""

from django.contrib import admin
from django.db.models import Q

from autosales.crm.models import (
    Activity,
    Contact,
    EmailAttachment,
    LoggedEmail,
    Profile,
    Reminder,
    SalesSettings,
    Tag,
    Task,
)
from autosales.crm.permissions import (
    crm_allowed,
    crm_user,
    is_owner,
    organization_in_scope,
    organizations_in_scope,
    scope_filter,
    sees_every_account,
)


class ScopedAdmin(admin.ModelAdmin):
    """An admin of a model that belongs to an organization: rows and choices limited to the user's accounts."""

    crm_model = ""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(scope_filter(user=request.user))

    def has_module_permission(self, request):
        return crm_user(request.user) and super().has_module_permission(request)

    def _allowed(self, request, action, obj) -> bool:
        organization = obj.organization if obj is not None else None
        return crm_allowed(user=request.user, action=action, model=self.crm_model, organization=organization)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view", obj) or self._allowed(request, "change", obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete", obj)

    def has_add_permission(self, request):
        return self._allowed(request, "add", None)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization":
            kwargs["queryset"] = organizations_in_scope(user=request.user).order_by("name")
        elif db_field.name == "contact":
            kwargs["queryset"] = Contact.objects.filter(scope_filter(user=request.user)).select_related("organization")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Profile)
class ProfileAdmin(ScopedAdmin):
    crm_model = "profile"
    list_display = ["organization", "segment", "industry", "website", "phone"]
    list_filter = ["segment", "tags"]
    search_fields = ["organization__name", "industry", "website"]
    list_select_related = ["organization"]
    filter_horizontal = ["tags", "shared_with"]
    readonly_fields = ["created_at", "updated_at"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "website":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # Only the account's owner or a manager decides who it is shared with (crm.services.profile_share).
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not is_owner(user=request.user, organization=obj.organization):
            fields.append("shared_with")
        return fields


@admin.register(Contact)
class ContactAdmin(ScopedAdmin):
    crm_model = "contact"
    list_display = ["name", "organization", "title", "email", "phone", "preferred_channel"]
    search_fields = ["name", "email", "organization__name", "public_id"]
    list_select_related = ["organization"]
    raw_id_fields = ["user"]
    readonly_fields = ["public_id", "created_at", "updated_at"]


@admin.register(Activity)
class ActivityAdmin(ScopedAdmin):
    crm_model = "activity"
    list_display = ["at", "organization", "kind", "subject", "author"]
    list_filter = ["kind"]
    search_fields = ["subject", "body", "organization__name", "public_id"]
    list_select_related = ["organization", "author"]
    raw_id_fields = ["contact", "author"]
    readonly_fields = ["public_id", "source_key", "created_at", "updated_at"]
    date_hierarchy = "at"


class ReminderInline(admin.TabularInline):
    model = Reminder
    extra = 0
    can_delete = False
    fields = ["offset_minutes", "due_at", "remind_at", "sent_at", "by_email", "in_app"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(ScopedAdmin):
    crm_model = "task"
    list_display = ["title", "organization", "owner", "kind", "due_at", "priority", "status"]
    list_filter = ["status", "kind", "priority"]
    search_fields = ["title", "notes", "organization__name", "public_id"]
    list_select_related = ["organization", "owner"]
    raw_id_fields = ["contact", "order", "activity", "previous", "owner", "created_by"]
    readonly_fields = ["public_id", "completed_at", "created_at", "updated_at"]
    inlines = [ReminderInline]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class TaskForm(form):
            def clean(self):
                data = super().clean()
                owner, organization = data.get("owner"), data.get("organization")
                if owner and organization and not organization_in_scope(user=owner, organization=organization):
                    self.add_error("owner", f"{owner} does not work this account, so cannot own its tasks.")
                return data

        return TaskForm


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(SalesSettings)
class SalesSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "timezone", "reminder_offsets", "digest_enabled", "digest_hour"]
    raw_id_fields = ["user"]
    readonly_fields = ["calendar_token"]


class EmailAttachmentInline(admin.TabularInline):
    model = EmailAttachment
    extra = 0
    can_delete = False
    fields = ["filename", "content_type", "size"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LoggedEmail)
class LoggedEmailAdmin(admin.ModelAdmin):
    """Logged emails: a manager sees all; a salesperson those on their accounts' timelines or that they logged."""

    list_display = ["sent_at", "subject", "from_address", "organization", "status", "received_via"]
    list_filter = ["status", "received_via", "forwarded"]
    search_fields = ["subject", "from_address", "message_id", "organization__name"]
    list_select_related = ["organization"]
    readonly_fields = [f.name for f in LoggedEmail._meta.fields if f.name not in ("status",)]
    inlines = [EmailAttachmentInline]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_every_account(request.user):
            return queryset
        return queryset.filter(scope_filter(user=request.user) | Q(logged_by_id=request.user.pk))

    def has_module_permission(self, request):
        return crm_user(request.user) and super().has_module_permission(request)

    def has_add_permission(self, request):
        return False
