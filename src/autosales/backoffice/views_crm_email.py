"""Email logging in the back office: the inbound endpoint a mail relay posts raw messages to, and the inbox of
messages that matched no customer, to assign or drop."""

import hmac

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from autosales.backoffice.views_crm import crm_page
from autosales.core.errors import DomainError
from autosales.crm.email_logging import attachment_for, email_assign, email_ignore, email_log, inbox_for
from autosales.crm.permissions import organizations_in_scope


def _secret_matches(request) -> bool:
    expected = settings.CRM_INBOUND_EMAIL_SECRET
    given = request.headers.get("X-Autosales-Secret") or request.GET.get("secret", "")
    authorization = request.headers.get("Authorization", "")
    if not given and authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


@csrf_exempt
@require_POST
def inbound_email(request):
    """POST the raw RFC 822 message as the body, with the shared secret in `X-Autosales-Secret` (or a bearer
    token, or `?secret=`). 201: logged now; 200: this Message-ID was logged before; 400: not a message; 403: wrong
    secret; 404: the endpoint is off (no secret set)."""
    if not settings.CRM_INBOUND_EMAIL_SECRET:
        raise Http404("Inbound email is not set up.")
    if not _secret_matches(request):
        return JsonResponse(
            {"code": "forbidden", "message": "The secret is missing or wrong.", "field": None}, status=403
        )
    try:
        raw = request.body
    except RequestDataTooBig:
        return JsonResponse(
            {"code": "too_large", "message": "The message is too large.", "field": "message"}, status=413
        )
    try:
        result = email_log(raw=raw, via="inbound")
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    record = result.email
    return JsonResponse(
        {
            "id": record.public_id,
            "status": record.status,
            "organization": record.organization.public_id if record.organization else None,
            "created": result.created,
        },
        status=201 if result.created else 200,
    )


@crm_page
@require_GET
def inbox(request):
    page = Paginator(inbox_for(user=request.user).prefetch_related("attachments"), 50).get_page(request.GET.get("page"))
    organizations = list(organizations_in_scope(user=request.user).order_by("name")[:500])
    return render(
        request,
        "backoffice/crm/inbox.html",
        {"page": page, "organizations": organizations, "logging_address": settings.CRM_LOGGING_ADDRESS},
    )


def _inbox_email(request, public_id: str):
    record = inbox_for(user=request.user).filter(public_id=public_id).first()
    if record is None:
        raise Http404("No such message in your inbox.")
    return record


@crm_page
@require_POST
def inbox_assign(request, public_id: str):
    record = _inbox_email(request, public_id)
    organization = (
        organizations_in_scope(user=request.user).filter(public_id=request.POST.get("organization", "")).first()
    )
    if organization is None:
        messages.error(request, "Choose one of your customers.")
        return redirect("backoffice:crm_inbox")
    try:
        email_assign(email=record, organization=organization, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{record.subject}” is on the timeline of {organization.name}.")
    return redirect("backoffice:crm_inbox")


@crm_page
@require_POST
def inbox_ignore(request, public_id: str):
    record = _inbox_email(request, public_id)
    try:
        email_ignore(email=record, actor=request.user)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    messages.success(request, f"“{record.subject}” is dropped from the inbox.")
    return redirect("backoffice:crm_inbox")


@crm_page
@require_GET
def attachment_download(request, public_id: str):
    attachment = attachment_for(user=request.user, public_id=public_id)
    response = HttpResponse(bytes(attachment.content), content_type="application/octet-stream")
    # Served as a download, never shown inline: the file came from outside.
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
