from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from autosales.backoffice.dashboards import chart_for, home_for
from autosales.core import clock
from autosales.core.downloads import csv_stream_response
from autosales.core.errors import DomainError
from autosales.customers.permissions import staff_permission_required
from autosales.jobs.selectors import jobs_overview
from autosales.jobs.services import job_request_run
from autosales.notifications.models import Notification, OutboxEmail
from autosales.notifications.selectors import (
    mailbox_emails,
    notifications_for_user,
    outbox_counts,
    outbox_email_by_public_id,
    outbox_emails,
)
from autosales.notifications.sensitivity import email_addressed_to, email_body_visible_to
from autosales.notifications.services import email_resend, notification_mark_read, notifications_mark_all_read

PAGE_SIZE = 50
# Other people's emails and the jobs that send them: managers and superusers (docs/accounts.md, "Staff roles").
VIEW_OUTBOX = "notifications.view_outbox"
RESEND = "notifications.change_outboxemail"
VIEW_JOBS = "jobs.view_jobstate"
RUN_JOBS = "jobs.change_jobstate"


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _local(url: str) -> str:
    """`url` when it is a path on this site (never another host), else ""."""
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else ""


def _email_or_404(public_id: str) -> OutboxEmail:
    try:
        return outbox_email_by_public_id(public_id=public_id)
    except OutboxEmail.DoesNotExist:
        raise Http404("No such email.") from None


def _readable_email_or_404(request, public_id: str) -> OutboxEmail:
    """An email the user may open: any, with the outbox permission; else only one addressed to them.

    Another's email answers 404, exactly like one that does not exist.
    """
    email = _email_or_404(public_id)
    if not (request.user.has_perm(VIEW_OUTBOX) or email_addressed_to(email=email, user=request.user)):
        raise Http404("No such email.")
    return email


def _email_page(request, email: OutboxEmail, *, from_mailbox: bool):
    context = {
        "email": email,
        "from_mailbox": from_mailbox,
        "body_visible": email_body_visible_to(email=email, user=request.user),
    }
    return render(request, "backoffice/email_detail.html", context)


@staff_member_required
def dashboard(request):
    user = request.user
    context = {
        "home": home_for(user=user),
        "outbox_counts": outbox_counts() if user.has_perm(VIEW_OUTBOX) else None,
        "failing_jobs": (
            [job for job in jobs_overview() if job.state and job.state.last_outcome == "failed"]
            if user.has_perm(VIEW_JOBS)
            else None
        ),
    }
    return render(request, "backoffice/dashboard.html", context)


@staff_member_required
@require_GET
def dashboard_csv(request, slug: str):
    """A home chart's figures as CSV, for the roles that see the chart (404 for others, as for no such chart)."""
    now = clock.now()
    chart = chart_for(user=request.user, slug=slug, now=now)
    if chart is None:
        raise Http404("No such chart.")
    return csv_stream_response(f"{slug}-{now:%Y-%m-%d}.csv", list(chart.columns), chart.rows)


# Jobs


@staff_permission_required(VIEW_JOBS)
def jobs(request):
    return render(request, "backoffice/jobs.html", {"jobs": jobs_overview()})


@staff_permission_required(VIEW_JOBS, RUN_JOBS)
@require_POST
def job_run(request, name: str):
    try:
        job_request_run(name=name)
    except DomainError as exc:
        raise Http404(exc.message) from None
    messages.success(request, f"{name} will run within seconds.")
    return redirect("backoffice:jobs")


# Outbox


@staff_permission_required(VIEW_OUTBOX)
def outbox(request):
    status = request.GET.get("status", "")
    if status and status not in OutboxEmail.Status.values:
        messages.error(request, f"status: {status!r} is not one of {', '.join(OutboxEmail.Status.values)}.")
        return redirect("backoffice:outbox")
    counts = outbox_counts()
    context = {
        "page": _page(request, outbox_emails(status=status or None)),
        "status": status,
        "statuses": [(value, label, counts[value]) for value, label in OutboxEmail.Status.choices],
    }
    return render(request, "backoffice/outbox.html", context)


@staff_permission_required(VIEW_OUTBOX)
def outbox_detail(request, public_id: str):
    return _email_page(request, _email_or_404(public_id), from_mailbox=False)


@staff_member_required
@xframe_options_sameorigin
def email_html(request, public_id: str):
    """The email's HTML body for the reading pane's iframe, sandboxed so nothing in it runs."""
    email = _readable_email_or_404(request, public_id)
    if not email_body_visible_to(email=email, user=request.user):
        raise Http404("No such email.")
    response = HttpResponse(email.body_html or "<p>(no HTML part)</p>", content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = "sandbox allow-popups allow-popups-to-escape-sandbox"
    return response


@staff_permission_required(VIEW_OUTBOX, RESEND)
@require_POST
def outbox_resend(request, public_id: str):
    email = _email_or_404(public_id)
    try:
        email_resend(email=email)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{email.subject}” to {email.to_display} is queued again.")
    return redirect(_local(request.POST.get("next", "")) or "backoffice:outbox")


# Mailbox (emails "delivered" with EMAIL_URL=mailbox://): everyone's with the outbox permission, else one's own


@staff_member_required
def mailbox(request):
    everyone = request.user.has_perm(VIEW_OUTBOX)
    emails = mailbox_emails(addressed_to=None if everyone else request.user.email)
    return render(request, "backoffice/mailbox.html", {"page": _page(request, emails), "everyone": everyone})


@staff_member_required
def mailbox_detail(request, public_id: str):
    email = _readable_email_or_404(request, public_id)
    if email.transport != "mailbox":
        raise Http404("This email was not delivered to the mailbox.")
    return _email_page(request, email, from_mailbox=True)


# Notifications (the signed-in user's own)


@staff_member_required
def notifications(request):
    unread_only = request.GET.get("unread") == "1"
    page = _page(request, notifications_for_user(user=request.user, unread_only=unread_only))
    return render(request, "backoffice/notifications.html", {"page": page, "unread_only": unread_only})


@staff_member_required
@require_POST
def notification_read(request, public_id: str):
    notification = Notification.objects.filter(public_id=public_id, user=request.user).first()
    if notification is None:
        raise Http404("No such notification.")
    notification_mark_read(notification=notification, user=request.user)
    if request.POST.get("follow") and _local(notification.link):
        return redirect(notification.link)
    return redirect("backoffice:notifications")


@staff_member_required
@require_POST
def notifications_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("backoffice:notifications")
