"""The OpenAPI document is valid, lists the operations, and the interactive docs render."""

import json

import pytest
from django.contrib.staticfiles import finders
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_the_document_is_valid_openapi(document):
    validate(document)  # raises on any violation of the OpenAPI 3.1 specification
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "autosales API"


def test_the_document_has_no_duplicate_keys(client):
    # JSON parsers disagree on duplicate keys (Swagger UI refuses the document), so there must be none.
    duplicates = []

    def no_duplicates(pairs):
        keys = [key for key, _ in pairs]
        duplicates.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(pairs)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=no_duplicates)
    assert duplicates == []


def test_the_document_lists_the_products_and_tokens_operations(document):
    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item if method != "parameters"
    }
    assert {
        ("GET", "/api/v1/products"),
        ("GET", "/api/v1/products/{slug}"),
        ("GET", "/api/v1/tokens"),
        ("POST", "/api/v1/tokens"),
        ("DELETE", "/api/v1/tokens/{prefix}"),
    } <= operations


def test_the_products_list_documents_its_parameters_and_errors(document):
    operation = document["paths"]["/api/v1/products"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"q", "category", "page", "page_size"}
    assert parameters["page_size"]["schema"]["maximum"] == 100
    assert parameters["page"]["schema"]["minimum"] == 1
    assert {"200", "401", "422"} <= set(operation["responses"])
    error = document["components"]["schemas"]["ErrorOut"]
    assert set(error["properties"]) == {"code", "message", "errors"}


def test_the_document_names_both_ways_to_authenticate(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["BearerTokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"
    # the catalog is public, so its operations do not require either
    assert {} in document["paths"]["/api/v1/products"]["get"]["security"]
    assert {} not in document["paths"]["/api/v1/tokens"]["get"]["security"]


def test_the_interactive_docs_render_from_local_files(client):
    # when the docs page is opened
    response = client.get("/api/v1/docs")
    # then it is Swagger UI pointed at the document, with its scripts served by the app itself (no CDN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/openapi.json" in html
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert finders.find("ninja/swagger-ui-bundle.js")


def test_the_api_root_points_to_the_document_and_the_docs(client):
    body = client.get("/api/v1/").json()
    assert body["openapi"] == "http://testserver/api/v1/openapi.json"
    assert body["docs"] == "http://testserver/api/v1/docs"
