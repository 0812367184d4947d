"""Forms for the customer pages. They check the shape of the input; the services check the rules."""

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from autosales.core.errors import DomainError
from autosales.core.timezones import shop_time_zone, zone_choices
from autosales.customers import selectors, signin_throttle
from autosales.customers.addresses import address_clean, as_validation_error
from autosales.customers.errors import CustomerErrorCode
from autosales.customers.models import Address, Membership


class SignInForm(AuthenticationForm):
    """Username or email and password; failed attempts are throttled (customers.signin_throttle)."""

    username = forms.CharField(
        label="Email or username",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct email (or username) and password. Both may be case-sensitive.",
    }

    def clean(self):
        login = (self.cleaned_data.get("username") or "").strip()
        password = self.cleaned_data.get("password")
        if not login or not password:
            return self.cleaned_data
        username = login
        if "@" in login:
            user = selectors.user_by_email(email=login)
            if user is not None:
                username = user.get_username()  # one account, one count, whichever name is typed
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            if signin_throttle.signin_locked(self.request):
                raise forms.ValidationError(
                    signin_throttle.signin_locked_message(), code=CustomerErrorCode.SIGNIN_THROTTLED
                )
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class SignUpForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = forms.EmailField(label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not all digits, not a common password."),
    )
    for_business = forms.BooleanField(label=_("I buy for a business"), required=False)
    business_name = forms.CharField(label=_("Company name"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if data.get("for_business") and not (data.get("business_name") or "").strip():
            self.add_error("business_name", _("Enter the company name, or untick “I buy for a business”."))
        return data


class InvitationSignUpForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("Email"), max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)


class AddressForm(forms.ModelForm):
    """An address with the shared rules of `customers.addresses` (checkout uses it too)."""

    make_default = forms.BooleanField(label=_("Use as my default address"), required=False)

    class Meta:
        model = Address
        fields = ["label", "name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone"]
        labels = {
            "label": _("Label"),
            "name": _("Recipient"),
            "company": _("Company"),
            "line1": _("Address line 1"),
            "line2": _("Address line 2"),
            "city": _("City"),
            "region": _("State / region"),
            "postal_code": _("Postal code"),
            "country": _("Country"),
            "phone": _("Phone"),
        }
        help_texts = {"label": _("e.g. Main warehouse")}

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            cleaned = address_clean(fields=data)
        except DomainError as exc:
            self.add_error(None, as_validation_error(exc))
            return data
        data.update(cleaned)
        return data


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Colleague's email"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.BUYER)


def _organization_zone_choices() -> list[tuple[str, str]]:
    return [("", _("The shop's time zone (%(zone)s)") % {"zone": shop_time_zone()}), *zone_choices()]


class OrganizationTimeZoneForm(forms.Form):
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=_organization_zone_choices,
        required=False,
        help_text=_(
            "Dates and times on these pages and in your emails are shown in it; new standing orders follow it."
        ),
        error_messages={"invalid_choice": _("Unknown time zone %(value)r: choose one from the list.")},
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


def domain_error_to_form(form: forms.Form, exc: DomainError) -> None:
    """Shows a service's DomainError on the form, on its field when the form has it."""
    errors = getattr(exc, "errors", [exc])
    for error in errors:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message)
