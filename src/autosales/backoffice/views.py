from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from autosales.core.errors import DomainError
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
from autosales.notifications.services import email_resend, notification_mark_read, notifications_mark_all_read

PAGE_SIZE = 50


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


@staff_member_required
def dashboard(request):
    counts = outbox_counts()
    failing_jobs = [job for job in jobs_overview() if job.state and job.state.last_outcome == "failed"]
    return render(request, "backoffice/dashboard.html", {"outbox_counts": counts, "failing_jobs": failing_jobs})


# Jobs


@staff_member_required
def jobs(request):
    return render(request, "backoffice/jobs.html", {"jobs": jobs_overview()})


@staff_member_required
@require_POST
def job_run(request, name: str):
    try:
        job_request_run(name=name)
    except DomainError as exc:
        raise Http404(exc.message) from None
    messages.success(request, f"{name} will run within seconds.")
    return redirect("backoffice:jobs")


# Outbox


@staff_member_required
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


@staff_member_required
def outbox_detail(request, public_id: str):
    return render(request, "backoffice/email_detail.html", {"email": _email_or_404(public_id), "from_mailbox": False})


@staff_member_required
@xframe_options_sameorigin
def email_html(request, public_id: str):
    """The email's HTML body for the reading pane's iframe, sandboxed so nothing in it runs."""
    email = _email_or_404(public_id)
    response = HttpResponse(email.body_html or "<p>(no HTML part)</p>", content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = "sandbox allow-popups allow-popups-to-escape-sandbox"
    return response


@staff_member_required
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


# Mailbox (emails "delivered" with EMAIL_URL=mailbox://)


@staff_member_required
def mailbox(request):
    return render(request, "backoffice/mailbox.html", {"page": _page(request, mailbox_emails())})


@staff_member_required
def mailbox_detail(request, public_id: str):
    email = _email_or_404(public_id)
    if email.transport != "mailbox":
        raise Http404("This email was not delivered to the mailbox.")
    return render(request, "backoffice/email_detail.html", {"email": email, "from_mailbox": True})


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
