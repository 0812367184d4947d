"""Schemathesis drives the CRM operations as a salesperson with an account: no 5xx, every response as documented."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import settings

from autosales.customers.tokens import token_create
from tests.api.test_fuzz import CHECKS, _fuzz, catalog  # noqa: F401 - the fixture is used by name
from tests.factories import make_contact, make_organization, make_salesperson, make_task
from tests.suite_runs import once

crm_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler()).include(tag="crm")


@pytest.fixture
def salesperson_bearer(catalog):  # noqa: F811
    sales = make_salesperson()
    organization = make_organization(salesperson=sales)
    make_contact(organization=organization)
    make_task(organization=organization, owner=sales)
    return {"Authorization": f"Bearer {token_create(user=sales)}"}


# SQLite only, for the suite's time: the answers checked here are the web layer's (it passes on PostgreSQL too).
@once
@crm_schema.parametrize()
@settings(_fuzz, max_examples=4)  # few: the suite's time is short, and every operation still gets bad input
def test_a_salesperson_gets_no_5xx_and_documented_responses(case, salesperson_bearer):
    case.call_and_validate(headers=salesperson_bearer, checks=CHECKS)
