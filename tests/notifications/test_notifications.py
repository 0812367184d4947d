import pytest

from autosales.core.errors import DomainError, NotFound
from autosales.notifications.selectors import notifications_for_user, unread_notification_count
from autosales.notifications.services import notification_create, notification_mark_read, notifications_mark_all_read
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_notification_is_unread_until_its_user_reads_it():
    user = make_user()
    notification = notification_create(user=user, title="Standing order failed", body="Card declined.", link="/x")
    assert unread_notification_count(user=user) == 1
    notification_mark_read(notification=notification, user=user)
    first_read = notification.read_at
    notification_mark_read(notification=notification, user=user)
    assert notification.read_at == first_read
    assert unread_notification_count(user=user) == 0
    assert list(notifications_for_user(user=user)) == [notification]


def test_only_its_user_can_mark_a_notification_read():
    notification = notification_create(user=make_user(), title="Yours")
    with pytest.raises(NotFound):
        notification_mark_read(notification=notification, user=make_user())
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_touches_only_the_users_own():
    user, other = make_user(), make_user()
    for title in ("a", "b"):
        notification_create(user=user, title=title)
    notification_create(user=other, title="c")
    assert notifications_mark_all_read(user=user) == 2
    assert unread_notification_count(user=other) == 1


def test_a_notification_needs_a_title():
    with pytest.raises(DomainError) as error:
        notification_create(user=make_user(), title="  ")
    assert error.value.field == "title"
