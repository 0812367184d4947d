"""Emails logged without typing: real sample messages (multipart with an attachment, HTML only, non-UTF-8
headers, forwarded inline and as an attachment, no Message-ID) parsed, matched and put on the right timeline
once, through the service, the inbound endpoint and the command."""

import datetime as dt
import io
import mailbox
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from autosales.core.errors import DomainError
from autosales.crm.email_logging import email_assign, email_log, email_parse, inbox_for
from autosales.crm.models import Activity, LoggedEmail, Profile
from tests.factories import make_contact, make_organization, make_salesperson, make_staff
from tests.suite_runs import once

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "emails"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def shop(settings):
    settings.CRM_LOGGING_ADDRESS = "log@brightbulbs.example"
    settings.DEFAULT_FROM_EMAIL = "Bright Bulbs Supply <orders@brightbulbs.example>"
    sales = make_salesperson(email="sally@brightbulbs.example", first_name="Sally")
    harbor = make_organization(name="Harbor View Hotels", salesperson=sales)
    Profile.objects.create(organization=harbor, website="https://www.harborview.example")
    elena = make_contact(organization=harbor, name="Elena Garcia", email="elena.garcia@harborview.example")
    summit = make_organization(name="Summit School District", salesperson=sales, email="office@summitschools.example")
    lakeside = make_organization(name="Lakeside Property Group", salesperson=sales)
    make_contact(organization=lakeside, name="René Müller", email="rene.mueller@lakeside.example")
    redline = make_organization(name="Redline Auto Body", salesperson=sales)
    make_contact(organization=redline, name="Frank Miller", email="frank.miller@redline.example")
    return {
        "sales": sales,
        "harbor": harbor,
        "elena": elena,
        "summit": summit,
        "lakeside": lakeside,
        "redline": redline,
    }


@once
def test_a_multipart_message_gives_its_text_part_and_attachment():
    parsed = email_parse(sample("multipart.eml"))
    assert parsed.message_id == "CAF=spring-retrofit-0001@mail.harborview.example"
    assert (parsed.from_name, parsed.from_address) == ("Elena Garcia", "elena.garcia@harborview.example")
    assert parsed.to == ["sally@brightbulbs.example"]
    assert parsed.sent_at == dt.datetime(2027, 3, 2, 15, 4, 7, tzinfo=dt.UTC)
    assert parsed.text.startswith("Hi Sally,") and "before April 15?" in parsed.text and "Thanks — Elena" in parsed.text
    [attachment] = parsed.attachments
    assert (attachment.filename, attachment.content_type) == ("floor-plan.pdf", "application/pdf")
    assert attachment.content.startswith(b"%PDF-1.4")


@once
def test_an_html_only_message_becomes_readable_text():
    parsed = email_parse(sample("html-only.eml"))
    assert parsed.text == "Hello Sally,\nWe'll take the 48 T8 tubes & the fixtures.\nKevin"
    assert parsed.cc == ["log@brightbulbs.example"]


@once
def test_headers_in_other_character_sets_are_decoded():
    encoded = email_parse(sample("non-utf8-headers.eml"))
    raw = email_parse(sample("raw-8bit-headers.eml"))
    assert (encoded.from_name, encoded.subject) == ("René Müller", "Bestätigung der Lieferung")
    assert encoded.text == "Die Lieferung ist angekommen. Schöne Grüße, René"
    assert (raw.from_name, raw.subject) == ("François Dupont", "Réunion mardi")
    assert raw.text == "On se voit mardi à 10h."


@once
@pytest.mark.parametrize("raw", [b"", b"   \n", b"just some words\n"])
def test_what_is_not_a_message_is_refused_with_the_reason(raw):
    with pytest.raises(DomainError) as error:
        email_parse(raw)
    assert error.value.field == "message"


def test_a_copied_message_lands_on_the_contacts_timeline_once(shop):
    first = email_log(raw=sample("multipart.eml"), via="test")
    again = email_log(raw=sample("multipart.eml"), via="test")

    assert first.created and not again.created and again.email == first.email
    record = first.email
    assert (record.organization, record.contact, record.status) == (shop["harbor"], shop["elena"], "logged")
    activity = Activity.objects.get(kind="email")
    assert (activity.organization, activity.contact, activity.direction) == (shop["harbor"], shop["elena"], "inbound")
    assert activity.subject == "Quote for the spring retrofit"
    assert record.attachments.get().size == len(record.attachments.get().content) > 0
    assert LoggedEmail.objects.count() == 1


def test_an_organization_is_found_by_the_domain_of_its_email(shop):
    record = email_log(raw=sample("html-only.eml"), via="test").email
    assert record.organization == shop["summit"] and record.contact is None


def test_forwarded_messages_are_filed_under_the_original_sender(shop):
    inline = email_log(raw=sample("forwarded-inline.eml"), via="test").email
    attached = email_log(raw=sample("forwarded-attached.eml"), via="test").email

    assert inline.forwarded and inline.organization == shop["redline"]
    assert inline.from_address == "frank.miller@redline.example" and inline.logged_by == shop["sales"]
    assert inline.activity.direction == "inbound" and "PAR38" in inline.activity.body
    assert attached.forwarded and attached.organization == shop["harbor"] and attached.contact == shop["elena"]
    assert attached.sent_at == dt.datetime(2027, 3, 8, 20, 0, tzinfo=dt.UTC)


def test_an_unknown_sender_waits_in_the_inbox_until_assigned(shop):
    record = email_log(raw=sample("unknown-sender.eml"), via="test").email
    assert record.status == "unmatched" and record.organization is None and record.activity is None
    assert list(inbox_for(user=shop["sales"])) == [record]
    assert list(inbox_for(user=make_salesperson())) == []

    with pytest.raises(DomainError):
        email_assign(email=record, organization=make_organization(salesperson=make_salesperson()), actor=shop["sales"])
    email_assign(email=record, organization=shop["summit"], actor=shop["sales"])

    record.refresh_from_db()
    assert record.status == "logged" and record.activity.organization == shop["summit"]
    with pytest.raises(DomainError):
        email_assign(email=record, organization=shop["harbor"], actor=shop["sales"])


def test_a_message_without_a_message_id_is_still_logged_once(shop):
    first = email_log(raw=sample("no-message-id.eml"), via="test")
    second = email_log(raw=sample("no-message-id.eml"), via="test")
    assert first.created and not second.created
    assert first.email.message_id.startswith("sha256:")


def test_the_inbound_endpoint_needs_the_shared_secret(client, shop, settings):
    settings.CRM_INBOUND_EMAIL_SECRET = "s3cret-relay-key"
    url = reverse("backoffice:crm_inbound_email")

    refused = client.post(url, sample("multipart.eml"), content_type="message/rfc822")
    wrong = client.post(url, sample("multipart.eml"), content_type="message/rfc822", HTTP_X_AUTOSALES_SECRET="nope")
    accepted = client.post(
        url, sample("multipart.eml"), content_type="message/rfc822", HTTP_X_AUTOSALES_SECRET="s3cret-relay-key"
    )
    repeated = client.post(f"{url}?secret=s3cret-relay-key", sample("multipart.eml"), content_type="message/rfc822")
    garbage = client.post(url, b"", content_type="message/rfc822", HTTP_X_AUTOSALES_SECRET="s3cret-relay-key")

    assert refused.status_code == 403 and wrong.status_code == 403
    assert accepted.status_code == 201 and accepted.json()["status"] == "logged"
    assert repeated.status_code == 200 and repeated.json()["id"] == accepted.json()["id"]
    assert garbage.status_code == 400 and garbage.json()["field"] == "message"
    assert LoggedEmail.objects.count() == 1


def test_the_inbound_endpoint_is_off_without_a_secret(client, settings):
    settings.CRM_INBOUND_EMAIL_SECRET = ""
    response = client.post(reverse("backoffice:crm_inbound_email"), b"x", content_type="message/rfc822")
    assert response.status_code == 404


def test_the_command_reads_stdin_a_maildir_and_an_mbox(shop, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(sample("multipart.eml"))))
    out = io.StringIO()
    call_command("crm", "log-email", stdout=out)
    assert "1 logged" in out.getvalue()

    box = mailbox.Maildir(tmp_path / "Maildir")
    for name in ("html-only.eml", "multipart.eml"):
        box.add(sample(name))
    out = io.StringIO()
    call_command("crm", "log-email", str(tmp_path / "Maildir"), stdout=out)
    assert "1 logged, 1 seen before" in out.getvalue()

    mbox = mailbox.mbox(tmp_path / "sent.mbox")
    for name in ("forwarded-inline.eml", "unknown-sender.eml", "html-only.eml"):
        mbox.add(sample(name))
    mbox.flush()
    out = io.StringIO()
    call_command("crm", "log-email", str(tmp_path / "sent.mbox"), stdout=out)
    assert "1 logged, 1 waiting in the inbox, 1 seen before" in out.getvalue()
    assert LoggedEmail.objects.count() == 4

    with pytest.raises(CommandError, match="no such file"):
        call_command("crm", "log-email", str(tmp_path / "missing.eml"))


def test_the_inbox_page_assigns_a_message(client, shop):
    record = email_log(raw=sample("unknown-sender.eml"), via="test").email
    client.force_login(shop["sales"])
    page = client.get(reverse("backoffice:crm_inbox")).content.decode()
    assert "Price list please" in page

    response = client.post(
        reverse("backoffice:crm_inbox_assign", args=[record.public_id]), {"organization": shop["summit"].public_id}
    )

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.organization == shop["summit"]
    other = make_staff()
    client.force_login(other)
    assert client.get(reverse("backoffice:crm_inbox")).status_code == 403


def test_the_admin_shows_a_salesperson_the_logged_emails_of_their_accounts_only(client, shop):
    mine = email_log(raw=sample("multipart.eml"), via="test").email
    other_sales = make_salesperson(email="sam@brightbulbs.example")
    theirs_org = make_organization(name="Elsewhere", salesperson=other_sales)
    make_contact(organization=theirs_org, email="kevin.ortiz@summitschools.example")
    raw = sample("no-message-id.eml").replace(b"To: sally@brightbulbs.example", b"To: sam@brightbulbs.example")
    theirs = email_log(raw=raw, via="test").email
    assert theirs.organization == theirs_org and theirs.logged_by == other_sales

    client.force_login(shop["sales"])
    listing = client.get(reverse("admin:crm_loggedemail_changelist")).content.decode()

    assert f"/{mine.pk}/change/" in listing and f"/{theirs.pk}/change/" not in listing
    assert client.get(reverse("admin:crm_loggedemail_change", args=[theirs.pk])).status_code == 302


def test_the_inbound_endpoint_refuses_a_body_over_the_upload_limit(client, shop, settings):
    settings.CRM_INBOUND_EMAIL_SECRET = "s3cret-relay-key"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    big = sample("multipart.eml") + b"x" * 20_000
    response = client.post(
        reverse("backoffice:crm_inbound_email"),
        big,
        content_type="message/rfc822",
        HTTP_X_AUTOSALES_SECRET="s3cret-relay-key",
    )
    assert response.status_code == 413
    assert not LoggedEmail.objects.exists()


def test_the_timeline_shows_a_logged_emails_attachment_to_those_who_see_the_account(client, shop):
    record = email_log(raw=sample("multipart.eml"), via="test").email
    attachment = record.attachments.get()
    client.force_login(shop["sales"])

    page = client.get(reverse("backoffice:crm_profile", args=[shop["harbor"].public_id])).content.decode()
    download = client.get(reverse("backoffice:crm_attachment", args=[attachment.public_id]))

    assert "floor-plan.pdf" in page
    assert download.status_code == 200 and download.content.startswith(b"%PDF-1.4")
    assert download["Content-Disposition"].startswith("attachment;")
    client.force_login(make_salesperson())
    assert client.get(reverse("backoffice:crm_attachment", args=[attachment.public_id])).status_code == 404


@once
@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"From: a@b.example\r\n",
                b"To: \r\n",
                b"Subject: =?x-unknown?q?abc?=\r\n",
                b"Subject: Fwd: hi\r\n",
                b"Date: not a date\r\n",
                b"Message-ID: <>\r\n",
                b"Content-Type: message/rfc822\r\n",
                b"Content-Type: multipart/mixed; boundary=b\r\n",
                b"Content-Type: text/plain; charset=klingon\r\n",
                b"Content-Transfer-Encoding: base64\r\n",
                b"\r\n",
                b"--b\r\n",
                b"--b--\r\n",
                b"\xff\xfe\x00 body\r\n",
                b"---------- Forwarded message ---------\r\nFrom: x\r\n\r\n",
                b"Content-Disposition: attachment; filename*=x''%ZZ\r\n",
                b"Content-Type: text/html\r\n",
                b"<p>hi &amp; <b>bye</b></p>\r\n",
                b"Content-Type: multipart/alternative\r\n",
                b"From: =?utf-8?b?!!!?= <\r\n",
            ]
        ),
        min_size=1,
        max_size=14,
    ).map(b"".join)
)
def test_any_input_is_parsed_or_refused_with_a_reason(raw):
    try:
        parsed = email_parse(raw)
    except DomainError as error:
        assert error.field == "message"
    else:
        assert "\x00" not in parsed.text and len(parsed.message_id) <= 998


def test_a_long_or_odd_message_id_is_kept_as_its_hash_and_still_logged_once(shop):
    raw = sample("unknown-sender.eml").replace(
        b"Message-ID: <unknown-0001@newprospect.example>", b"Message-ID: <" + b"x" * 2000 + b"@example>"
    )
    first = email_log(raw=raw, via="test")
    second = email_log(raw=raw, via="test")
    assert first.created and not second.created and first.email.message_id.startswith("sha256:")
