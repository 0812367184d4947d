"""How a signed-in person is found again on each request.

Django's ModelBackend checks passwords (after axes, see settings.AUTHENTICATION_BACKENDS); every request of a
signed-in person then reads their user row again. That read is written out as SQL (core.rows): the ORM took
longer to build it than the database to answer it, on every page.
"""

from functools import cache

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection

from autosales.core.request_memo import request_memoized
from autosales.core.rows import columns, instance_from_row
from autosales.customers.models import User

# The backend a session records when the shop signs someone in itself (sign-up, an accepted invitation).
SIGN_IN_BACKEND = "autosales.customers.backends.UserBackend"


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = request_memoized(_memo_key(pk), lambda: _user_read(pk))
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None


def user_row_remember(user: User) -> None:
    """Lets `UserBackend.get_user` answer from a user row read with something else in the same query (the
    shopper's cart, cart.session.shopper_read), for the rest of the request until it writes. Django still makes
    its checks of the row (active, the session's password hash) as for any other."""
    request_memoized(_memo_key(user.pk), lambda: user)


def _memo_key(pk) -> tuple:
    return ("signed_in_user", pk)


def _user_read(pk) -> User | None:
    with connection.cursor() as cursor:
        cursor.execute(_user_sql(), [pk])
        row = cursor.fetchone()
    return instance_from_row(User, row)[0] if row is not None else None


@cache
def _user_sql() -> str:
    return f"SELECT {columns(User, 'u')} FROM {User._meta.db_table} u WHERE u.id = %s"
