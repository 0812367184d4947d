"""Account journeys in a real Chromium against the live server, with emails through a real SMTP server."""

import re

from playwright.sync_api import expect

from autosales.customers.models import Membership, User
from tests.factories import make_member, make_organization


def _link(message, path_prefix: str) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}[^\s]+)", body).group(1)


def test_sign_up_sign_out_and_sign_in_again_with_email(page):
    # a visitor creates a business account from the header link
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("a-long-enough-passphrase")
    page.get_by_label("I buy for a business").check()
    page.get_by_label("Company name").fill("Analytical Engines Ltd")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("link", name="Ada Lovelace")).to_be_visible()

    # they see their organization, then sign out
    page.get_by_role("link", name="Organization").click()
    expect(page.get_by_role("heading", name="Analytical Engines Ltd")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    # a wrong password is explained; the right one signs them in
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email or username").fill("ada@example.com")
    page.get_by_label("Password").fill("wrong")
    page.locator("form:has(input[name=password]) [type=submit]").click()
    expect(page.get_by_text("Enter a correct email (or username) and password")).to_be_visible()
    page.get_by_label("Password").fill("a-long-enough-passphrase")
    page.locator("form:has(input[name=password]) [type=submit]").click()
    expect(page.get_by_role("link", name="Ada Lovelace")).to_be_visible()


def test_an_admin_invites_a_colleague_who_joins_from_the_email(page, smtp_server):
    # given an account admin of Acme
    acme = make_organization(name="Acme Lighting")
    make_member(
        organization=acme,
        role=Membership.Role.ADMIN,
        username="ann",
        first_name="Ann",
        last_name="Admin",
        password="ann-password-1",
    )

    # when they invite a colleague from the organization page
    page.goto("/account/signin/")
    page.get_by_label("Email or username").fill("ann")
    page.get_by_label("Password").fill("ann-password-1")
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.goto("/account/organization/")
    page.get_by_label("Colleague's email").fill("bo@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("We emailed an invitation to bo@example.com.")).to_be_visible()

    # then the invitation arrives by SMTP
    [message] = smtp_server.deliver()
    assert message["To"] == "bo@example.com"
    assert message["Subject"] == "Ann Admin invited you to order for Acme Lighting at Bright Bulbs Supply"
    link = _link(message, "/account/invitations/")

    # and the colleague, in their own browser, creates an account through the link and is a member
    colleague = page.context.browser.new_context(base_url=page.url.split("/account/")[0])
    tab = colleague.new_page()
    tab.goto(link)
    tab.get_by_label("First name").fill("Bo")
    tab.get_by_label("Last name").fill("Buyer")
    tab.get_by_label("Password").fill("bo-long-passphrase")
    tab.get_by_role("button", name="Create my account and join").click()
    expect(tab.get_by_role("heading", name="Acme Lighting")).to_be_visible()
    expect(tab.locator("table.members")).to_contain_text("Bo Buyer")
    colleague.close()
    assert Membership.objects.get(user__email="bo@example.com").organization == acme


def test_a_forgotten_password_is_reset_from_the_email(page, smtp_server, settings):
    # the product's email backend (the test runner swaps in an in-memory one) writes to the outbox
    settings.EMAIL_BACKEND = "autosales.notifications.backends.OutboxBackend"
    make_member(organization=make_organization(), username="cy", email="cy@example.com", password="old-password-1")

    page.goto("/account/signin/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("cy@example.com")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    [message] = smtp_server.deliver()
    page.goto(_link(message, "/account/password-reset/"))
    page.get_by_label("New password:", exact=True).fill("fresh-password-22")
    page.get_by_label("New password confirmation:", exact=True).fill("fresh-password-22")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
    assert User.objects.get(username="cy").check_password("fresh-password-22")
