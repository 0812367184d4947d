import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from autosales.core import clock
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import Notification, OutboxEmail
from autosales.notifications.services import email_queue, notification_create
from tests.factories import make_staff, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = make_staff(group="manager", username="opsdesk")
    client.force_login(staff)
    client.user = staff
    return client


def queue(to="buyer@example.com"):
    return email_queue(to=to, template="notifications/test", context={"transport": "smtp"})


@pytest.mark.parametrize(
    "name", ["backoffice:jobs", "backoffice:outbox", "backoffice:mailbox", "backoffice:notifications"]
)
def test_pages_are_for_staff_only(client, name):
    client.force_login(make_user(username="customer"))
    response = client.get(reverse(name))
    assert response.status_code in (302, 403)
    assert response.status_code == 403 or "/admin/login/" in response["Location"]


def test_jobs_page_shows_each_job_with_its_last_run(staff_client):
    outbox_deliver_pass()
    from autosales.jobs.services import job_execute

    job_execute(name="outbox.deliver", only_if_due=False)
    page = staff_client.get(reverse("backoffice:jobs")).content.decode()
    assert "outbox.deliver" in page and "every 10 s" in page and "OK" in page


def test_run_now_makes_the_job_due(staff_client):
    response = staff_client.post(reverse("backoffice:job_run", args=["outbox.deliver"]))
    assert response.status_code == 302
    from autosales.jobs.models import JobState

    assert JobState.objects.get(name="outbox.deliver").next_run_at <= clock.now()
    assert staff_client.post(reverse("backoffice:job_run", args=["nope"])).status_code == 404


def test_outbox_shows_failed_emails_with_the_reason_and_resends_them(staff_client, smtp_server):
    # given an email that failed for good
    smtp_server.refuse("gone@example.com")
    email = queue(to="gone@example.com")
    outbox_deliver_pass()
    # when staff filter the outbox on failed emails
    page = staff_client.get(reverse("backoffice:outbox") + "?status=failed").content.decode()
    # then they see it with the server's reason and a Re-send button
    assert "gone@example.com" in page and "No such user here" in page and "Re-send" in page
    # when they re-send it
    smtp_server.accept("gone@example.com")
    response = staff_client.post(reverse("backoffice:outbox_resend", args=[email.public_id]))
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.PENDING
    # then the next delivery sends it
    assert [m["To"] for m in smtp_server.deliver()] == ["gone@example.com"]


def test_resending_an_email_that_did_not_fail_changes_nothing(staff_client):
    email = queue()
    response = staff_client.post(reverse("backoffice:outbox_resend", args=[email.public_id]), follow=True)
    assert "Only a failed email can be re-sent." in response.content.decode()
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.PENDING and email.attempts == 0


def test_a_bad_status_filter_is_explained(staff_client):
    response = staff_client.get(reverse("backoffice:outbox") + "?status=lost", follow=True)
    assert response.status_code == 200
    assert "status: &#x27;lost&#x27; is not one of" in response.content.decode()


def test_the_mailbox_shows_delivered_emails_readable_as_html_and_text(staff_client, settings):
    settings.EMAIL_URL = "mailbox://"
    email = queue(to="reader@example.com")
    outbox_deliver_pass()
    email.refresh_from_db()  # rendered when it was delivered
    listing = staff_client.get(reverse("backoffice:mailbox")).content.decode()
    assert "reader@example.com" in listing and email.subject in listing
    detail = staff_client.get(reverse("backoffice:mailbox_detail", args=[email.public_id])).content.decode()
    assert "This is a test email" in detail  # the text version
    assert reverse("backoffice:email_html", args=[email.public_id]) in detail
    html = staff_client.get(reverse("backoffice:email_html", args=[email.public_id]))
    assert settings.SHOP["primary_colour"] in html.content.decode()
    assert html["Content-Security-Policy"].startswith("sandbox")
    assert html["X-Frame-Options"] == "SAMEORIGIN"


def test_an_email_not_delivered_to_the_mailbox_is_not_in_it(staff_client):
    email = queue()
    assert staff_client.get(reverse("backoffice:mailbox_detail", args=[email.public_id])).status_code == 404
    assert staff_client.get(reverse("backoffice:outbox_detail", args=["unknown"])).status_code == 404


def test_notifications_counter_and_mark_read(staff_client):
    mine = notification_create(user=staff_client.user, title="Credit hold on Acme", link="/backoffice/")
    notification_create(user=staff_client.user, title="Order 42 is late")
    other = notification_create(user=make_user(username="someone", is_staff=True), title="Not yours")
    page = staff_client.get(reverse("backoffice:dashboard")).content.decode()
    assert '<span class="badge" title="unread">2</span>' in page
    listing = staff_client.get(reverse("backoffice:notifications")).content.decode()
    assert "Credit hold on Acme" in listing and "Not yours" not in listing
    # opening a notification marks it read and follows its link
    response = staff_client.post(reverse("backoffice:notification_read", args=[mine.public_id]), {"follow": "1"})
    assert response["Location"] == "/backoffice/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    # another user's notification cannot be touched
    assert staff_client.post(reverse("backoffice:notification_read", args=[other.public_id])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None
    staff_client.post(reverse("backoffice:notifications_read_all"))
    assert not Notification.objects.filter(user=staff_client.user, read_at__isnull=True).exists()


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["outbox", "mailbox", "notifications", "jobs"])
def test_lists_take_the_same_number_of_queries_for_3_or_30_rows(staff_client, settings, page):
    settings.EMAIL_URL = "mailbox://"
    counts = []
    for total in (3, 30):
        while OutboxEmail.objects.count() < total:
            queue()
            notification_create(user=staff_client.user, title="Alert")
        outbox_deliver_pass()
        # one failed and one waiting email so every branch of the rows renders
        failed = queue()
        OutboxEmail.objects.filter(pk=failed.pk).update(status="failed", last_error="550 no", attempts=1)
        waiting = queue()
        OutboxEmail.objects.filter(pk=waiting.pk).update(attempts=1, next_attempt_at=clock.now() + dt.timedelta(1))
        counts.append(_queries(staff_client, reverse(f"backoffice:{page}")))
    assert counts[0] == counts[1]
