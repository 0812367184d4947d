"""Back-office CRM: the customer list, a customer's profile with its key people and one timeline, and the
"log an activity" form with its optional follow-up task. Who sees what is crm.permissions' rule."""

from functools import wraps
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autosales.billing.selectors import account_standing
from autosales.core.errors import DomainError, NotFound
from autosales.core.errors import PermissionDenied as DomainPermissionDenied
from autosales.crm.forms import (
    ContactForm,
    LogActivityForm,
    ProfileForm,
    ProspectForm,
    WriteEmailForm,
    domain_error_to_form,
    local_datetime,
)
from autosales.crm.models import LOGGED_KINDS, ActivityKind, Task
from autosales.crm.outreach import email_write
from autosales.crm.permissions import crm_allowed, crm_user, is_owner
from autosales.crm.phones import phone_display
from autosales.crm.prediction.cadence import REGULAR_CONFIDENCE
from autosales.crm.prediction.selectors import predictions_of
from autosales.crm.selectors import (
    contact_for,
    contact_of_organization,
    contacts_of,
    organization_for,
    organizations_for,
    profile_of,
    tasks_for,
    time_zone_of_salesperson,
    timeline,
)
from autosales.crm.services import (
    contact_create,
    contact_delete,
    contact_update,
    profile_share,
    profile_update,
    prospect_create,
)
from autosales.crm.tasks import activity_log_with_follow_up
from autosales.customers.models import User
from autosales.customers.selectors import addresses_for_organization
from autosales.customers.staff_roles import SALESPERSON

CUSTOMERS_PAGE = 50
TIMELINE_PAGE = 50


def crm_page(view):
    """Signed-in salespeople and managers get in; other staff get a 403; others sign in. The zone of the page is
    the salesperson's own."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not crm_user(request.user):
            raise PermissionDenied("Your role does not use the CRM.")
        with timezone.override(ZoneInfo(time_zone_of_salesperson(user=request.user))):
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except DomainPermissionDenied as exc:
                raise PermissionDenied(exc.message) from exc

    return wrapped


@crm_page
@require_GET
def customers(request):
    query = request.GET.get("q", "").strip()[:100]
    mine = request.GET.get("scope", "mine" if not request.user.is_superuser else "all") == "mine"
    tag = request.GET.get("tag", "").strip()[:60]
    queryset = organizations_for(user=request.user, query=query, mine=mine, tag=tag).prefetch_related(
        "crm_profile__tags"
    )
    page = Paginator(queryset, CUSTOMERS_PAGE).get_page(request.GET.get("page"))
    filters = {k: v for k, v in (("q", query), ("scope", "mine" if mine else "all"), ("tag", tag)) if v}
    return render(
        request,
        "backoffice/crm/customers.html",
        {
            "page": page,
            "query": query,
            "mine": mine,
            "tag": tag,
            "page_query": urlencode(filters),
            "can_add": crm_allowed(user=request.user, action="add", model="profile"),
            "prospect_form": ProspectForm(),
        },
    )


@crm_page
@require_POST
def prospect_new(request):
    form = ProspectForm(request.POST)
    if form.is_valid():
        try:
            organization = prospect_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            domain_error_to_form(form, exc)
        else:
            messages.success(request, f"{organization.name} is added as a prospect.")
            return redirect("backoffice:crm_profile", public_id=organization.public_id)
    messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect("backoffice:crm_customers")


def _profile_context(request, organization, *, log_form=None, email_form=None, status=200):
    user = request.user
    kinds = [k for k in request.GET.getlist("kind") if k in ActivityKind.values]
    entries = timeline(organization=organization, kinds=kinds)
    page = Paginator(entries, TIMELINE_PAGE).get_page(request.GET.get("page"))
    contacts = list(contacts_of(organization=organization))
    profile = profile_of(organization=organization)
    zone = time_zone_of_salesperson(user=user)
    return {
        "organization": organization,
        "profile": profile,
        "phones": [phone_display(p) for p in (profile.phone, profile.phone_other) if p],
        "contacts": contacts,
        "addresses": list(addresses_for_organization(organization=organization)),
        "open_tasks": list(tasks_for(user=user).filter(organization=organization)[:20]),
        "page": page,
        "kinds": ActivityKind.choices,
        "selected_kinds": kinds,
        "page_query": urlencode([("kind", k) for k in kinds]),
        "log_form": log_form or LogActivityForm(contacts=contacts, initial={"kind": "call"}),
        "email_form": email_form or WriteEmailForm(contacts=contacts),
        "logged_kinds": LOGGED_KINDS,
        "can_change": crm_allowed(user=user, action="change", model="profile", organization=organization),
        "can_log": crm_allowed(user=user, action="add", model="activity", organization=organization),
        "is_owner": is_owner(user=user, organization=organization),
        "standing": account_standing(organization=organization) if organization.has_account_terms else None,
        "time_zone": zone,
        "predictions": predictions_of(organization=organization),
        "regular_confidence": REGULAR_CONFIDENCE,
    }


@crm_page
@require_GET
def profile(request, public_id: str):
    organization = organization_for(user=request.user, public_id=public_id)
    return render(request, "backoffice/crm/profile.html", _profile_context(request, organization))


@crm_page
@require_POST
def activity_log_view(request, public_id: str):
    organization = organization_for(user=request.user, public_id=public_id)
    contacts = list(contacts_of(organization=organization))
    form = LogActivityForm(request.POST, contacts=contacts)
    if form.is_valid():
        data = form.cleaned_data
        try:
            contact = contact_of_organization(organization=organization, public_id=data["contact"])
            activity = {
                "kind": data["kind"],
                "contact": contact,
                "subject": data["subject"],
                "body": data["body"],
                "direction": data["direction"],
                "outcome": data["outcome"],
                "duration_minutes": data["duration_minutes"],
                "location": data["location"],
            }
            follow_up = None
            if data["follow_up"]:
                follow_up = {
                    "title": data["follow_up_title"],
                    "kind": data["follow_up_kind"] or Task.Kind.CALL,
                    "due_at": local_datetime(data["follow_up_due"], time_zone_of_salesperson(user=request.user)),
                }
            logged, task = activity_log_with_follow_up(
                organization=organization, actor=request.user, activity=activity, follow_up=follow_up
            )
        except DomainError as exc:
            domain_error_to_form(form, exc)
        else:
            note = f"{logged.get_kind_display()} logged"
            if task is not None:
                note += f"; follow-up “{task.title}” is on your tasks"
            messages.success(request, note + ".")
            return redirect("backoffice:crm_profile", public_id=organization.public_id)
    return render(
        request, "backoffice/crm/profile.html", _profile_context(request, organization, log_form=form), status=400
    )


def _colleagues(organization):
    """The salespeople an account may be shared with: every active one but its owner."""
    return list(
        User.objects.filter(is_active=True, is_staff=True, groups__name=SALESPERSON)
        .exclude(pk=organization.salesperson_id)
        .order_by("first_name", "last_name", "username")
    )


@crm_page
@require_http_methods(["GET", "POST"])
def profile_edit(request, public_id: str):
    organization = organization_for(user=request.user, public_id=public_id)
    if not crm_allowed(user=request.user, action="change", model="profile", organization=organization):
        raise PermissionDenied("Your role may not change this profile.")
    current = profile_of(organization=organization)
    owner = is_owner(user=request.user, organization=organization)
    colleagues = _colleagues(organization) if owner else []
    if request.method == "POST":
        form = ProfileForm(request.POST, colleagues=colleagues)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["tags"] = form.tag_list()
            shared = data.pop("shared_with", None)
            try:
                with transaction.atomic():
                    profile_update(organization=organization, actor=request.user, **data)
                    if owner:
                        chosen = [c for c in colleagues if str(c.pk) in (shared or [])]
                        profile_share(organization=organization, actor=request.user, salespeople=chosen)
            except DomainError as exc:
                domain_error_to_form(form, exc)
            else:
                messages.success(request, "The profile is saved.")
                return redirect("backoffice:crm_profile", public_id=public_id)
    else:
        form = ProfileForm(
            colleagues=colleagues,
            initial={
                "shared_with": [str(u.pk) for u in current.shared_with.all()] if current.pk else [],
                "segment": current.segment,
                "industry": current.industry,
                "website": current.website,
                "phone": phone_display(current.phone),
                "phone_other": phone_display(current.phone_other),
                "tags": ", ".join(t.name for t in current.tags.all()) if current.pk else "",
                "notes": organization.notes,
            },
        )
    status = 400 if request.method == "POST" else 200
    return render(
        request, "backoffice/crm/profile_edit.html", {"organization": organization, "form": form}, status=status
    )


@crm_page
@require_http_methods(["GET", "POST"])
def contact_new(request, public_id: str):
    organization = organization_for(user=request.user, public_id=public_id)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact_create(organization=organization, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            domain_error_to_form(form, exc)
        else:
            messages.success(request, f"{form.cleaned_data['name']} is added to the key people.")
            return redirect("backoffice:crm_profile", public_id=public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "backoffice/crm/contact_form.html",
        {"organization": organization, "form": form, "contact": None},
        status=status,
    )


@crm_page
@require_http_methods(["GET", "POST"])
def contact_detail(request, public_id: str):
    contact = contact_for(user=request.user, public_id=public_id)
    organization = contact.organization
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                contact_update(contact=contact, actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                domain_error_to_form(form, exc)
            else:
                messages.success(request, "The contact is saved.")
                return redirect("backoffice:crm_contact", public_id=public_id)
    else:
        form = ContactForm(
            initial={
                "name": contact.name,
                "title": contact.title,
                "roles": contact.roles,
                "email": contact.email,
                "phone": phone_display(contact.phone),
                "mobile": phone_display(contact.mobile),
                "preferred_channel": contact.preferred_channel,
                "notes": contact.notes,
            }
        )
    page = Paginator(timeline(contact=contact), TIMELINE_PAGE).get_page(request.GET.get("page"))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "backoffice/crm/contact_form.html",
        {
            "organization": organization,
            "form": form,
            "contact": contact,
            "page": page,
            "page_query": "",
            "can_delete": crm_allowed(user=request.user, action="delete", model="contact", organization=organization),
        },
        status=status,
    )


@crm_page
@require_POST
def email_write_view(request, public_id: str):
    organization = organization_for(user=request.user, public_id=public_id)
    contacts = list(contacts_of(organization=organization))
    form = WriteEmailForm(request.POST, contacts=contacts)
    if form.is_valid():
        try:
            contact = contact_of_organization(organization=organization, public_id=form.cleaned_data["contact"])
            email_write(
                organization=organization,
                actor=request.user,
                contact=contact,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except DomainError as exc:
            domain_error_to_form(form, exc)
        else:
            messages.success(request, f"Your email to {contact.name} is on its way and on the timeline.")
            return redirect("backoffice:crm_profile", public_id=organization.public_id)
    context = _profile_context(request, organization, email_form=form)
    return render(request, "backoffice/crm/profile.html", context, status=400)


@crm_page
@require_POST
def contact_remove(request, public_id: str):
    contact = contact_for(user=request.user, public_id=public_id)
    organization = contact.organization
    try:
        contact_delete(contact=contact, actor=request.user)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    messages.success(request, f"{contact.name} is removed from the key people.")
    return redirect("backoffice:crm_profile", public_id=organization.public_id)
