"""The sign-in throttle: django-axes counts and locks (settings `AXES_*`); these are the parts that are ours.

Every password check goes through `django.contrib.auth.authenticate`, and axes is its first backend: after too
many failures for one username from one client address, that pair is locked out for the cool-off, even with the
right password; a successful sign-in forgets the pair's failures. Attempts are rows in the database, so every web
process counts the same ones, and axes deletes them once they are older than the cool-off. API bearer tokens are
not passwords and never pass through `authenticate`, so they are not counted.
"""

from axes.helpers import get_lockout_message
from django.contrib import admin
from django.shortcuts import render


def client_ip(request) -> str:
    """The address a sign-in comes from: REMOTE_ADDR as Django sees it, never a header the client could write.

    Behind a proxy, the web server puts the client's address there when it trusts the proxy (docs/deployment.md).
    """
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def signin_locked(request) -> bool:
    """Whether axes refused the sign-in in this request because the username and address are locked out."""
    return bool(getattr(request, "axes_locked_out", False))


def signin_locked_message() -> str:
    return str(get_lockout_message())


def signin_locked_response(request, original_response=None, credentials=None):
    """The answer to a locked-out sign-in: the page that refused it when it already says why (the store's sign-in
    answers 429 with the form and the reason), else a page with the reason (the admin's sign-in)."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    context = {**admin.site.each_context(request), "message": signin_locked_message()}
    return render(request, "registration/signin_locked.html", context, status=429)
