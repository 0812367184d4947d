import io

import pytest
from django.core.management import CommandError, call_command

from autosales.customers.models import ApiToken
from autosales.customers.tokens import user_for_token
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue()


def test_create_prints_a_token_that_authenticates_the_user():
    # given a user
    user = make_user(username="erp")
    # when `autosales token create erp --name "ERP sync"` runs
    printed = _run("create", "erp", "--name", "ERP sync").strip()
    # then it prints a working token, once, named as asked
    assert user_for_token(raw=printed) == user
    assert ApiToken.objects.get(user=user).name == "ERP sync"


def test_list_shows_prefixes_and_states_but_never_the_secret():
    make_user(username="erp")
    raw = _run("create", "erp").strip()
    listing = _run("list", "erp")
    prefix = ApiToken.objects.get().prefix
    assert prefix in listing
    assert "active" in listing and "never used" in listing
    assert raw not in listing


def test_revoke_by_prefix_refuses_the_token_from_then_on():
    make_user(username="erp")
    raw = _run("create", "erp").strip()
    prefix = ApiToken.objects.get().prefix
    printed = _run("revoke", prefix)
    assert f"Revoked {prefix}" in printed
    assert user_for_token(raw=raw) is None
    assert "revoked" in _run("list", "erp")


def test_an_unknown_user_is_a_clear_error_with_exit_status_2():
    with pytest.raises(CommandError) as caught:
        _run("create", "nobody")
    assert "nobody" in str(caught.value)
    assert caught.value.returncode == 2
    assert not ApiToken.objects.exists()


def test_revoking_an_unknown_prefix_is_a_clear_error_with_exit_status_2():
    with pytest.raises(CommandError) as caught:
        _run("revoke", "as_zzzzzzzz")
    assert "as_zzzzzzzz" in str(caught.value)
    assert caught.value.returncode == 2


def test_a_name_too_long_is_refused_naming_the_field():
    make_user(username="erp")
    with pytest.raises(CommandError) as caught:
        _run("create", "erp", "--name", "x" * 101)
    assert "name" in str(caught.value)
    assert caught.value.returncode == 2
    assert not ApiToken.objects.exists()
