import datetime as dt
import hashlib

import pytest

from autosales.core import clock
from autosales.core.errors import DomainError, NotFound
from autosales.customers.models import ApiToken
from autosales.customers.tokens import token_create, token_prefix, token_revoke, user_for_token
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_created_token_is_stored_only_as_its_sha256_hash():
    # given a user
    user = make_user()
    # when a token is created
    raw = token_create(user=user, name="ERP sync")
    # then the plain text is nowhere in the table, only its hash and its prefix
    token = ApiToken.objects.get(user=user)
    assert token.name == "ERP sync"
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(token.prefix + "_")
    stored = list(ApiToken.objects.values_list("name", "prefix", "key_hash"))
    assert all(raw not in value for row in stored for value in row)
    assert token_prefix(raw=raw) == token.prefix


def test_two_tokens_differ_and_each_finds_its_user():
    alice, bob = make_user(), make_user()
    a, b = token_create(user=alice), token_create(user=bob)
    assert a != b
    assert user_for_token(raw=a) == alice
    assert user_for_token(raw=b) == bob


@pytest.mark.parametrize(
    "raw",
    ["", "nonsense", "Bearer x", "as_abcdefgh_" + "x" * 43, "as_ABCDEFGH_" + "x" * 43, "as_abc_" + "x" * 43],
)
def test_a_wrong_or_malformed_token_finds_nobody(raw):
    token_create(user=make_user())
    assert user_for_token(raw=raw) is None


def test_a_token_with_a_right_prefix_but_wrong_secret_finds_nobody():
    raw = token_create(user=make_user())
    tampered = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    assert user_for_token(raw=tampered) is None


def test_a_revoked_token_is_refused_and_revoking_again_keeps_the_first_time():
    # given a token that works
    user = make_user()
    raw = token_create(user=user)
    token = ApiToken.objects.get(user=user)
    assert user_for_token(raw=raw) == user
    # when it is revoked, twice
    first = token_revoke(token_id=token.id).revoked_at
    clock.advance(dt.timedelta(hours=1))
    second = token_revoke(token_id=token.id).revoked_at
    # then it is refused and keeps the first revocation time
    assert user_for_token(raw=raw) is None
    assert first is not None and first == second


def test_revoking_an_unknown_token_is_not_found():
    with pytest.raises(NotFound) as caught:
        token_revoke(token_id=987654)
    assert caught.value.field == "token"


def test_the_token_of_an_inactive_user_is_refused():
    user = make_user()
    raw = token_create(user=user)
    user.is_active = False
    user.save()
    assert user_for_token(raw=raw) is None


def test_last_used_is_written_at_most_once_a_minute():
    # given a token used once
    start = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    raw = token_create(user=make_user())
    with clock.frozen_at(start):
        user_for_token(raw=raw)
    token = ApiToken.objects.get()
    assert token.last_used_at == start
    # when it is used again 30 seconds later, the time stays
    with clock.frozen_at(start + dt.timedelta(seconds=30)):
        user_for_token(raw=raw)
    token.refresh_from_db()
    assert token.last_used_at == start
    # and a minute later it moves
    with clock.frozen_at(start + dt.timedelta(seconds=61)):
        user_for_token(raw=raw)
    token.refresh_from_db()
    assert token.last_used_at == start + dt.timedelta(seconds=61)


def test_a_use_within_the_minute_writes_nothing(django_assert_num_queries):
    raw = token_create(user=make_user())
    user_for_token(raw=raw)
    # one read, no write
    with django_assert_num_queries(1):
        user_for_token(raw=raw)


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_blank_or_too_long_name_is_refused_and_nothing_is_stored(name):
    with pytest.raises(DomainError) as caught:
        token_create(user=make_user(), name=name)
    assert caught.value.field == "name"
    assert not ApiToken.objects.exists()


def test_an_inactive_user_gets_no_token():
    user = make_user(is_active=False)
    with pytest.raises(DomainError) as caught:
        token_create(user=user)
    assert caught.value.field == "user"
    assert not ApiToken.objects.exists()
