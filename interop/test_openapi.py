"""The committed OpenAPI document is valid by a real OpenAPI 3.0 validator
(`openapi-spec-validator`), and the answers that once broke it match their schemas, read by
that validator's own schema checker: a new PAT with its value, a new account with its ROOT
login, an empty service-account list."""

import json
import time
from pathlib import Path

from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import OpenAPIV30SpecValidator

DOCUMENT = json.loads((Path(__file__).parent.parent / "openapi.json").read_text())


def test_the_document_is_valid_openapi_3_0():
    errors = [f"{list(e.path)}: {e.message}" for e in OpenAPIV30SpecValidator(DOCUMENT).iter_errors()]
    assert errors == []


def test_every_path_parameter_is_declared():
    import re

    for path, item in DOCUMENT["paths"].items():
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        for method, op in item.items():
            if method == "parameters":
                continue
            names = declared | {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert set(re.findall(r"\{([^}]+)\}", path)) <= names, f"{method} {path}"


def _schema(path, method, status):
    schema = DOCUMENT["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    return {**schema, "components": DOCUMENT["components"]}


def _check(instance, path, method, status="200"):
    errors = [e.message for e in OAS30Validator(_schema(path, method, status)).iter_errors(instance)]
    assert errors == [], f"{method} {path} {status}: {errors} in {instance}"


def test_answers_match_their_schemas(as_admin):
    created = as_admin(
        "POST", "/1.0/me/identity/user/admin/token", {"name": f"schema-{time.monotonic_ns()}", "description": ""}
    )
    assert created["token"].startswith("lkpat_")
    _check(created, "/1.0/me/identity/user/{user}/token", "post")
    account = as_admin("POST", "/v2/admin/account", {"email": "schema@example.com"})
    assert "adminPassword" in account
    _check(account, "/v2/admin/account", "post")
    # A fresh server's list of service accounts made by others is empty in both forms.
    _check([], "/1.0/me/api/oauth2/client", "get")
    _check(as_admin("GET", "/1.0/me/api/oauth2/client"), "/1.0/me/api/oauth2/client", "get")
