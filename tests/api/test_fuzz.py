"""Schemathesis drives the app through its own OpenAPI document: no 5xx, and every response as documented."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from autosales.customers.tokens import token_create
from tests.factories import make_category, make_member, make_product

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# Reading the document touches no database, so it is loaded once, when the tests are collected.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())


@pytest.fixture
def catalog(db):
    """A small catalog; the app answers in this thread, inside the test's transaction."""
    # Like Django's test client, keep the end-of-request hook from closing the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        category = make_category(slug="bulbs")
        make_product(slug="a19", category=category, variants=2)
        make_product(slug="globe", category=category)
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(catalog):
    return {"Authorization": f"Bearer {token_create(user=make_member())}"}


_fuzz = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@schema.parametrize()
@_fuzz
def test_anonymous_callers_get_no_5xx_and_documented_responses(case, catalog):
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@_fuzz
def test_token_callers_get_no_5xx_and_documented_responses(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)
