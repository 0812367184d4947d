"""Customer account pages: sign in/up/out, password reset, profile, address book, organization and invitations."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from autosales.cart.session import cart_merge_for_login
from autosales.core import clock
from autosales.core.errors import DomainError, NotFound, PermissionDenied
from autosales.customers import selectors, services
from autosales.customers.backends import SIGN_IN_BACKEND
from autosales.customers.errors import CustomerErrorCode
from autosales.customers.forms import (
    AddressForm,
    InvitationForm,
    InvitationSignUpForm,
    OrganizationTimeZoneForm,
    ProfileForm,
    RoleForm,
    SignInForm,
    SignUpForm,
    domain_error_to_form,
)
from autosales.customers.models import Organization
from autosales.customers.permissions import member_required


def _domain_errors(view):
    """NotFound becomes a 404 and PermissionDenied a 403, so another organization's ids reveal nothing."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            if exc.code == CustomerErrorCode.NO_ORGANIZATION:
                return render(request, "storefront/account/no_organization.html", status=404)
            raise Http404(exc.message) from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc

    return wrapped


def _current_organization(request) -> Organization:
    organization = selectors.organization_for_user(user=request.user)
    member_required(user=request.user, organization=organization)
    return organization


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _invalid(request, template: str, context: dict, status: int = 400):
    return render(request, template, context, status=status)


# Sign in, sign out, sign up


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/signin.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        cart_merge_for_login(self.request, form.get_user())  # the guest cart joins the account's
        return response

    def form_invalid(self, form):
        throttled = any(e.code == CustomerErrorCode.SIGNIN_THROTTLED for e in form.non_field_errors().as_data())
        return self.render_to_response(self.get_context_data(form=form), status=429 if throttled else 400)


def admin_signin(request, extra_context=None):
    """The admin's sign-in (`/admin/login/`) is the store's page, in the store's brand; staff signed in go on
    to the admin, and a customer signed in is told that this account has no access instead of going round."""
    if request.user.is_authenticated and request.user.is_staff:
        return redirect(_next_url(request, reverse("admin:index")))
    view = SignInView.as_view(redirect_authenticated_user=False, extra_context={"staff_only": True})
    return view(request)


class SignOutView(auth_views.LogoutView):
    next_page = reverse_lazy("storefront:home")


def signup(request):
    if request.user.is_authenticated:
        return redirect(_next_url(request, reverse("storefront:profile")))
    form = SignUpForm(request.POST or None)
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = services.user_signup(
                    email=data["email"],
                    password=data["password"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    business_name=data["business_name"] if data["for_business"] else "",
                )
            except DomainError as exc:
                domain_error_to_form(form, exc)
            else:
                login(request, user, backend=SIGN_IN_BACKEND)
                cart_merge_for_login(request, user)
                messages.success(
                    request, gettext("Welcome, %(name)s! Your account is ready.") % {"name": user.first_name}
                )
                return redirect(_next_url(request, reverse("storefront:home")))
        return _invalid(request, "storefront/account/signup.html", context)
    return render(request, "storefront/account/signup.html", context)


# Password reset: Django's four steps, on our templates. The email goes through Django's email backend,
# which hands it to the outbox.


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_request.html"
    email_template_name = "registration/reset_password_email.txt"
    subject_template_name = "registration/reset_password_subject.txt"
    success_url = reverse_lazy("storefront:password_reset_done")

    def form_valid(self, form):
        self.extra_email_context = {"shop": settings.SHOP}
        return super().form_valid(form)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_new_password.html"
    success_url = reverse_lazy("storefront:password_reset_complete")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_finished.html"


# Profile


@login_required
def profile(request):
    user = request.user
    profile_form = ProfileForm(
        initial={"first_name": user.first_name, "last_name": user.last_name, "email": user.email, "phone": user.phone}
    )
    password_form = PasswordChangeForm(user)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "profile":
            profile_form = ProfileForm(request.POST)
            if profile_form.is_valid():
                try:
                    services.profile_update(user=user, **profile_form.cleaned_data)
                except DomainError as exc:
                    user.refresh_from_db()
                    domain_error_to_form(profile_form, exc)
                else:
                    messages.success(request, gettext("Your profile is saved."))
                    return redirect("storefront:profile")
        elif action == "password":
            password_form = PasswordChangeForm(user, request.POST)
            if password_form.is_valid():
                password_form.save()
                update_session_auth_hash(request, password_form.user)
                messages.success(request, gettext("Your password is changed."))
                return redirect("storefront:profile")
        else:
            messages.error(request, gettext("Choose what to save: your profile or your password."))
        status = 400
    context = {
        "profile_form": profile_form,
        "password_form": password_form,
        "memberships": selectors.memberships_for_user(user=user),
        "organization": selectors.organization_for_user(user=user),
    }
    return render(request, "storefront/account/profile.html", context, status=status)


@require_POST
@login_required
@_domain_errors
def organization_switch(request):
    membership = (
        selectors.memberships_for_user(user=request.user)
        .filter(organization__public_id=request.POST.get("organization", ""))
        .first()
    )
    if membership is None:
        raise Http404("You are not a member of that organization.")
    services.organization_switch(user=request.user, organization=membership.organization)
    messages.success(request, gettext("You now act for %(name)s.") % {"name": membership.organization.name})
    return redirect(_next_url(request, reverse("storefront:profile")))


# Address book


@login_required
@_domain_errors
def addresses(request):
    organization = _current_organization(request)
    context = {
        "organization": organization,
        "addresses": selectors.addresses_for_organization(organization=organization),
    }
    return render(request, "storefront/account/addresses.html", context)


def _address_form_page(request, *, organization, address=None):
    form = AddressForm(
        request.POST or None, instance=address, initial={"make_default": bool(address and address.is_default)}
    )
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            make_default = data.pop("make_default", False)
            try:
                if address is None:
                    services.address_create(organization=organization, fields=data, make_default=make_default)
                else:
                    services.address_update(address=address, fields=data, make_default=make_default)
            except DomainError as exc:
                domain_error_to_form(form, exc)
            else:
                messages.success(request, gettext("The address is saved."))
                return redirect(_next_url(request, reverse("storefront:addresses")))
        return _invalid(request, "storefront/account/address_form.html", {"form": form, "address": address})
    return render(request, "storefront/account/address_form.html", {"form": form, "address": address})


@login_required
@_domain_errors
def address_add(request):
    return _address_form_page(request, organization=_current_organization(request))


@login_required
@_domain_errors
def address_edit(request, public_id: str):
    organization = _current_organization(request)
    address = selectors.address_by_public_id(organization=organization, public_id=public_id)
    return _address_form_page(request, organization=organization, address=address)


@login_required
@_domain_errors
def address_delete(request, public_id: str):
    organization = _current_organization(request)
    address = selectors.address_by_public_id(organization=organization, public_id=public_id)
    if request.method == "POST":
        try:
            services.address_delete(address=address)
        except DomainError as exc:
            messages.error(request, exc.message)
            return _invalid(request, "storefront/account/address_delete.html", {"address": address}, status=exc.status)
        messages.success(request, gettext("The address is deleted."))
        return redirect("storefront:addresses")
    return render(request, "storefront/account/address_delete.html", {"address": address})


@require_POST
@login_required
@_domain_errors
def address_default(request, public_id: str):
    organization = _current_organization(request)
    address = selectors.address_by_public_id(organization=organization, public_id=public_id)
    services.address_set_default(address=address)
    messages.success(request, gettext("Your default address is changed."))
    return redirect("storefront:addresses")


# Organization: members, roles and invitations


def _organization_page(request, *, organization, membership, invitation_form=None, time_zone_form=None, status=200):
    context = {
        "time_zone_form": time_zone_form or OrganizationTimeZoneForm(initial={"timezone": organization.timezone}),
        "organization": organization,
        "membership": membership,
        "is_admin": membership.is_admin,
        "members": selectors.members_for_organization(organization=organization),
        "invitations": selectors.invitations_pending(organization=organization) if membership.is_admin else [],
        "invitation_form": invitation_form or InvitationForm(),
        "role_choices": RoleForm.base_fields["role"].choices,
    }
    return render(request, "storefront/account/organization.html", context, status=status)


@login_required
@_domain_errors
def organization(request):
    organization = _current_organization(request)
    membership = member_required(user=request.user, organization=organization)
    return _organization_page(request, organization=organization, membership=membership)


@require_POST
@login_required
@_domain_errors
def organization_time_zone(request):
    organization = _current_organization(request)
    membership = member_required(user=request.user, organization=organization)
    form = OrganizationTimeZoneForm(request.POST)
    if form.is_valid():
        try:
            services.organization_time_zone_change(
                organization=organization, time_zone=form.cleaned_data["timezone"], actor=request.user
            )
        except (PermissionDenied, NotFound):
            raise
        except DomainError as exc:
            domain_error_to_form(form, exc)
        else:
            messages.success(
                request, gettext("Dates are now shown in %(zone)s time.") % {"zone": organization.local_time_zone}
            )
            return redirect("storefront:organization")
    return _organization_page(
        request, organization=organization, membership=membership, time_zone_form=form, status=400
    )


@require_POST
@login_required
@_domain_errors
def organization_invite(request):
    organization = _current_organization(request)
    membership = member_required(user=request.user, organization=organization)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                organization=organization,
                inviter=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except (PermissionDenied, NotFound):
            raise
        except DomainError as exc:
            domain_error_to_form(form, exc)
        else:
            messages.success(request, gettext("We emailed an invitation to %(email)s.") % {"email": invitation.email})
            return redirect("storefront:organization")
    return _organization_page(
        request, organization=organization, membership=membership, invitation_form=form, status=400
    )


@require_POST
@login_required
@_domain_errors
def member_role(request, public_id: str):
    organization = _current_organization(request)
    membership = member_required(user=request.user, organization=organization)
    target = selectors.member_by_public_id(organization=organization, public_id=public_id)
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(CustomerErrorCode.ROLE_INVALID, f"role: {form.errors['role'][0]}", "role")
        services.membership_role_change(membership=target, role=form.cleaned_data["role"], actor=request.user)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return _organization_page(request, organization=organization, membership=membership, status=exc.status)
    messages.success(
        request,
        gettext("%(name)s is now %(role)s.")
        % {"name": target.user.get_full_name() or target.user.username, "role": target.get_role_display()},
    )
    return redirect("storefront:organization")


@require_POST
@login_required
@_domain_errors
def member_remove(request, public_id: str):
    organization = _current_organization(request)
    membership = member_required(user=request.user, organization=organization)
    target = selectors.member_by_public_id(organization=organization, public_id=public_id)
    try:
        services.membership_remove(membership=target, actor=request.user)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return _organization_page(request, organization=organization, membership=membership, status=exc.status)
    if target.user_id == request.user.pk:
        messages.success(request, gettext("You left %(name)s.") % {"name": organization.name})
        return redirect("storefront:profile")
    messages.success(
        request,
        gettext("%(name)s is no longer a member.") % {"name": target.user.get_full_name() or target.user.username},
    )
    return redirect("storefront:organization")


@require_POST
@login_required
@_domain_errors
def invitation_revoke(request, public_id: str):
    organization = _current_organization(request)
    membership = member_required(user=request.user, organization=organization)
    invitation = selectors.invitation_by_public_id(organization=organization, public_id=public_id)
    try:
        services.invitation_revoke(invitation=invitation, actor=request.user)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return _organization_page(request, organization=organization, membership=membership, status=exc.status)
    messages.success(request, gettext("The invitation to %(email)s is withdrawn.") % {"email": invitation.email})
    return redirect("storefront:organization")


# Accepting an invitation


@_domain_errors
def invitation_accept(request, token: str):
    invitation = selectors.invitation_by_token(token=token)
    problem = None
    if invitation.accepted_at is not None:
        problem = "This invitation was already used."
    elif invitation.is_expired(at=clock.now()):
        problem = "This invitation has expired. Ask your account admin to invite you again."
    existing_user = None if request.user.is_authenticated else selectors.user_by_email(email=invitation.email)
    form = (
        InvitationSignUpForm(request.POST or None)
        if not request.user.is_authenticated and existing_user is None
        else None
    )
    context = {"invitation": invitation, "problem": problem, "form": form, "existing_user": existing_user}
    if problem:
        return render(request, "storefront/account/invitation.html", context, status=410)
    if request.method != "POST":
        return render(request, "storefront/account/invitation.html", context)

    if request.user.is_authenticated:
        try:
            services.invitation_accept(invitation=invitation, user=request.user)
        except DomainError as exc:
            context["problem"] = exc.message
            return render(request, "storefront/account/invitation.html", context, status=exc.status)
        messages.success(request, gettext("You joined %(name)s.") % {"name": invitation.organization.name})
        return redirect("storefront:organization")

    if form is None:  # the email has an account: sign in first, then come back
        return redirect(f"{reverse('storefront:signin')}?next={request.path}")
    if form.is_valid():
        try:
            user = services.invitation_accept_signup(invitation=invitation, **form.cleaned_data)
        except DomainError as exc:
            domain_error_to_form(form, exc)
        else:
            login(request, user, backend=SIGN_IN_BACKEND)
            cart_merge_for_login(request, user)
            messages.success(request, gettext("Welcome! You joined %(name)s.") % {"name": invitation.organization.name})
            return redirect("storefront:organization")
    return _invalid(request, "storefront/account/invitation.html", context)
