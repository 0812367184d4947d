import pytest

from autosales.core import clock
from autosales.customers import signin_throttle
from autosales.customers.models import SignInFailure
from autosales.customers.signin_throttle import (
    SignInThrottled,
    signin_failure_record,
    signin_success_record,
    signin_throttle_check,
)
from autosales.jobs.registry import job_spec

pytestmark = pytest.mark.django_db


def _fail(times, *, username="ada", ip="10.0.0.1"):
    for _ in range(times):
        signin_failure_record(username=username, ip=ip)


def test_an_account_is_locked_after_too_many_failures_then_unlocked_by_time():
    # given the account's allowance of failures used up
    _fail(signin_throttle.MAX_FAILURES_PER_ACCOUNT - 1)
    signin_throttle_check(username="ada", ip="10.0.0.1")
    _fail(1)

    # then further sign-ins are refused, from any address, whatever the case of the name
    with pytest.raises(SignInThrottled) as raised:
        signin_throttle_check(username="ADA ", ip="10.9.9.9")
    assert raised.value.status == 429
    assert raised.value.field == "username"

    # and another account is not affected
    signin_throttle_check(username="bob", ip="10.0.0.2")

    # and once the window has passed, sign-in is allowed again
    clock.advance(signin_throttle.WINDOW)
    signin_throttle_check(username="ada", ip="10.0.0.1")


def test_an_address_guessing_many_accounts_is_locked():
    for n in range(signin_throttle.MAX_FAILURES_PER_ADDRESS):
        signin_failure_record(username=f"user{n}", ip="10.6.6.6")
    with pytest.raises(SignInThrottled):
        signin_throttle_check(username="someone-new", ip="10.6.6.6")
    signin_throttle_check(username="someone-new", ip="10.0.0.7")


def test_failures_without_an_address_count_only_against_the_account():
    for n in range(signin_throttle.MAX_FAILURES_PER_ADDRESS):
        signin_failure_record(username=f"user{n}", ip="")
    signin_throttle_check(username="someone-new", ip="")


def test_a_successful_sign_in_forgets_the_accounts_failures():
    _fail(signin_throttle.MAX_FAILURES_PER_ACCOUNT - 1)
    signin_success_record(username="ada", ip="10.0.0.1")
    _fail(signin_throttle.MAX_FAILURES_PER_ACCOUNT - 1)
    signin_throttle_check(username="ada", ip="10.0.0.1")


def test_the_check_is_one_query(django_assert_num_queries):
    _fail(3)
    with django_assert_num_queries(1):
        signin_throttle_check(username="ada", ip="10.0.0.1")


def test_guessed_usernames_are_not_kept_in_clear():
    signin_failure_record(username="secret-admin-name", ip="10.0.0.1")
    assert "secret" not in SignInFailure.objects.get().account_key


def test_the_prune_job_deletes_failures_older_than_the_window():
    _fail(2)
    clock.advance(signin_throttle.WINDOW)
    _fail(1, username="bob")
    assert job_spec("customers.signin_failures_prune").func() == 2
    assert list(SignInFailure.objects.values_list("account_key", flat=True)) == [signin_throttle._account_key("bob")]
