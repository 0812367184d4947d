"""Back-office CRM tasks: my tasks (overdue, today, upcoming), the team view for managers, a task with complete,
snooze, move and reassign, a new task on a customer, and the salesperson's own settings."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autosales.backoffice.views_crm import crm_page
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.crm.calendar import calendar_feed, owner_by_calendar_token
from autosales.crm.forms import SettingsForm, SnoozeForm, TaskForm, domain_error_to_form, local_datetime
from autosales.crm.models import Task
from autosales.crm.permissions import crm_allowed, sees_every_account
from autosales.crm.prediction.selectors import standing_order_offer_for, standing_order_offer_query
from autosales.crm.reorder import customers_due_to_reorder
from autosales.crm.sales_settings import calendar_token_renew, sales_settings_ensure, sales_settings_update
from autosales.crm.selectors import (
    contact_of_organization,
    contacts_of,
    my_tasks,
    organization_for,
    task_for,
    team_tasks,
    time_zone_of_salesperson,
)
from autosales.crm.tasks import task_create, task_reassign, task_snooze, task_transition, task_update
from autosales.customers.models import User
from autosales.customers.staff_roles import SALESPERSON


def _salespeople_for(organization) -> list[User]:
    """Who may own a task of `organization` (one query): its salesperson and the salespeople it is shared with."""
    return list(
        User.objects.filter(is_active=True, is_staff=True, groups__name=SALESPERSON)
        .filter(Q(pk=organization.salesperson_id) | Q(crm_shared_profiles__organization=organization))
        .distinct()
        .order_by("username")
    )


@crm_page
@require_GET
def my_tasks_view(request):
    tasks = my_tasks(user=request.user)
    return render(
        request,
        "backoffice/crm/tasks.html",
        {
            "tasks": tasks,
            "snooze_form": SnoozeForm(),
            "now": clock.now(),
            "due_to_reorder": customers_due_to_reorder(user=request.user, now=clock.now()),
        },
    )


@crm_page
@require_GET
def team_tasks_view(request):
    if not sees_every_account(request.user):
        raise PermissionDenied("The team's tasks are for managers.")
    tasks = list(team_tasks(user=request.user)[:500])
    by_owner: dict[User, list[Task]] = {}
    for task in tasks:
        by_owner.setdefault(task.owner, []).append(task)
    return render(
        request, "backoffice/crm/team.html", {"by_owner": by_owner, "snooze_form": SnoozeForm(), "now": clock.now()}
    )


def _task_form_initial(task: Task, zone: str) -> dict:
    from zoneinfo import ZoneInfo

    return {
        "title": task.title,
        "kind": task.kind,
        "due_at": task.due_at.astimezone(ZoneInfo(zone)).replace(tzinfo=None),
        "priority": task.priority,
        "contact": task.contact.public_id if task.contact else "",
        "notes": task.notes,
        "recurrence": task.recurrence,
        "reminder_offsets": ", ".join(str(o) for o in task.reminder_offsets or []),
    }


def _standing_order_offer_url(task: Task) -> str:
    """The back office's new standing order for the task's customer, filled in with the predicted reorder the task
    was made for; blank for other tasks."""
    prediction = standing_order_offer_for(task=task)
    if prediction is None:
        return ""
    url = reverse("backoffice:standing_order_new", args=[task.organization.public_id])
    return f"{url}?{standing_order_offer_query(prediction=prediction, today=clock.today())}"


def _task_page(request, task: Task, *, form=None, status=200):
    zone = time_zone_of_salesperson(user=request.user)
    contacts = list(contacts_of(organization=task.organization))
    return render(
        request,
        "backoffice/crm/task.html",
        {
            "task": task,
            "form": form or TaskForm(initial=_task_form_initial(task, zone), contacts=contacts),
            "snooze_form": SnoozeForm(),
            "owners": _salespeople_for(task.organization),
            "can_change": crm_allowed(user=request.user, action="change", model="task", organization=task.organization),
            "reminders": list(task.reminders.order_by("-sent_at")),
            "standing_order_offer_url": _standing_order_offer_url(task),
        },
        status=status,
    )


def _task_values(form: TaskForm, organization, zone: str) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "kind": data["kind"],
        "due_at": local_datetime(data["due_at"], zone),
        "priority": data["priority"],
        "contact": contact_of_organization(organization=organization, public_id=data["contact"]),
        "notes": data["notes"],
        "recurrence": data["recurrence"],
        "reminder_offsets": data["reminder_offsets"] if data["reminder_offsets"].strip() else None,
    }


@crm_page
@require_http_methods(["GET", "POST"])
def task_detail(request, public_id: str):
    task = task_for(user=request.user, public_id=public_id)
    if request.method == "POST":
        contacts = list(contacts_of(organization=task.organization))
        form = TaskForm(request.POST, contacts=contacts)
        if form.is_valid():
            try:
                values = _task_values(form, task.organization, time_zone_of_salesperson(user=request.user))
                task_update(task=task, actor=request.user, **values)
            except DomainError as exc:
                domain_error_to_form(form, exc)
            else:
                messages.success(request, "The task is saved.")
                return redirect("backoffice:crm_task", public_id=public_id)
        return _task_page(request, task, form=form, status=400)
    return _task_page(request, task)


@crm_page
@require_http_methods(["GET", "POST"])
def task_new(request, public_id: str):
    organization = organization_for(user=request.user, public_id=public_id)
    contacts = list(contacts_of(organization=organization))
    form = TaskForm(request.POST or None, contacts=contacts)
    if request.method == "POST" and form.is_valid():
        try:
            values = _task_values(form, organization, time_zone_of_salesperson(user=request.user))
            task = task_create(organization=organization, actor=request.user, **values)
        except DomainError as exc:
            domain_error_to_form(form, exc)
        else:
            messages.success(request, f"Task “{task.title}” added.")
            return redirect("backoffice:crm_profile", public_id=public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "backoffice/crm/task_new.html", {"organization": organization, "form": form}, status=status)


def _back(request, task: Task):
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("backoffice:crm_task", public_id=task.public_id)


@crm_page
@require_POST
def task_status(request, public_id: str, to: str):
    task = task_for(user=request.user, public_id=public_id)
    try:
        outcome = request.POST.get("outcome", "") if to == Task.Status.DONE else ""
        task_transition(task=task, to=to, actor=request.user, outcome=outcome)
    except DomainError as exc:
        messages.error(request, exc.message)
        if exc.field == "outcome":  # a value no form offers: refused, nothing changed
            return _task_page(request, task, status=400)
    else:
        messages.success(request, f"“{task.title}” is {dict(Task.Status.choices)[to].lower()}.")
    return _back(request, task)


@crm_page
@require_POST
def task_snooze_view(request, public_id: str):
    task = task_for(user=request.user, public_id=public_id)
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how long to snooze.")
        return _back(request, task)
    try:
        task = task_snooze(task=task, actor=request.user, minutes=form.cleaned_data["minutes"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{task.title}” is snoozed.")
    return _back(request, task)


@crm_page
@require_POST
def task_reassign_view(request, public_id: str):
    task = task_for(user=request.user, public_id=public_id)
    owner = User.objects.filter(
        pk=request.POST.get("owner", "0") if request.POST.get("owner", "").isdigit() else 0
    ).first()
    if owner is None:
        messages.error(request, "Choose who takes the task over.")
        return _back(request, task)
    try:
        task_reassign(task=task, actor=request.user, owner=owner)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{task.title}” is now {owner.get_full_name() or owner.username}'s.")
    return _back(request, task)


@crm_page
@require_http_methods(["GET", "POST"])
def settings_view(request):
    row = sales_settings_ensure(user=request.user)
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                sales_settings_update(user=request.user, **form.cleaned_data)
            except DomainError as exc:
                domain_error_to_form(form, exc)
            else:
                messages.success(request, "Your settings are saved.")
                return redirect("backoffice:crm_settings")
    else:
        form = SettingsForm(
            initial={
                "timezone": row.timezone,
                "reminder_offsets": ", ".join(str(o) for o in row.reminder_offsets),
                "remind_by_email": row.remind_by_email,
                "remind_in_app": row.remind_in_app,
                "digest_enabled": row.digest_enabled,
                "digest_hour": row.digest_hour,
            }
        )
    status = 400 if request.method == "POST" else 200
    feed_url = request.build_absolute_uri(reverse("backoffice:crm_calendar", args=[row.calendar_token]))
    return render(
        request,
        "backoffice/crm/settings.html",
        {"form": form, "settings_row": row, "feed_url": feed_url},
        status=status,
    )


@require_GET
def calendar_feed_view(request, token: str):
    """The salesperson's tasks for a calendar app: the secret in the URL is the only credential."""
    try:
        owner = owner_by_calendar_token(token=token)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(calendar_feed(owner=owner), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="tasks.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@crm_page
@require_POST
def calendar_renew(request):
    calendar_token_renew(user=request.user)
    messages.success(request, "Your calendar has a new address; the old one no longer works.")
    return redirect("backoffice:crm_settings")
