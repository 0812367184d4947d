"""/api/v1/tokens: the caller's own tokens."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.customers.tokens import token_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_list_shows_the_callers_tokens_newest_first_without_secrets(client):
    # given a user with two tokens and another user with one
    user = make_user()
    first = token_create(user=user, name="first")
    second = token_create(user=user, name="second")
    token_create(user=make_user(), name="someone else's")
    client.force_login(user)
    # when the user lists tokens
    body = client.get("/api/v1/tokens").json()
    # then only theirs, newest first, with prefixes but never the token itself
    assert [t["name"] for t in body] == ["second", "first"]
    assert [t["prefix"] for t in body] == [second[:11], first[:11]]
    assert "token" not in body[0]
    assert first not in str(body) and second not in str(body)


def test_the_list_takes_the_same_number_of_queries_for_3_or_30_tokens(client):
    def queries_for(count: int) -> int:
        user = make_user()
        for i in range(count):
            token_create(user=user, name=f"t{i}")
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get("/api/v1/tokens").json()) == count
        return len(queries)

    assert queries_for(3) == queries_for(30)
