"""Schemathesis sends the JSON API requests made from its own OpenAPI description, and checks every answer."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

OPERATIONS = [("/api/search", "GET"), ("/api/documents/{id}", "GET")]


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.mark.parametrize(
    ("path", "method", "mode"),
    [("/api/search", "GET", GenerationMode.POSITIVE), ("/api/search", "GET", GenerationMode.NEGATIVE),
     ("/api/documents/{id}", "GET", GenerationMode.POSITIVE)],  # any string is a valid id: no negative cases
)  # fmt: skip
def test_the_api_keeps_to_its_openapi_description(api_schema, path, method, mode):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):  # type: ignore[no-untyped-def]
        # The WSGI transport hands back bytes as sent and decodes no compression (tests/test_http_caching.py checks it).
        case.call_and_validate(headers={"Accept-Encoding": "identity"})

    check()


def test_every_operation_is_tested(api_schema):
    found = {(result.ok().path, result.ok().method.upper()) for result in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)
