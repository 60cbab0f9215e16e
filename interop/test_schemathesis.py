"""Schemathesis (from PyPI) against a fresh `latchkey serve`, reading the document the server
serves, authenticated as ROOT with a PAT (for /1.0 and /v2) and a Keystone token (for /v3).

Every operation is tested in schemathesis's coverage, fuzzing and stateful phases with the checks
not_a_server_error, status_code_conformance, content_type_conformance and
response_schema_conformance; any finding fails the test. Path parameters of reading and
changing operations are bound to objects the test makes first (a local user, its PAT, a group,
a service account, a policy, a Keystone domain, project, role and user), so those operations reach
the code behind the lookup instead of answering 404; DELETE operations get their own objects, so
deleting one leaves the others to test. The figures (operations, requests) are printed and written
to target/schemathesis/summary.json."""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from conftest import ADMIN_PASSWORD, call_as_admin, running_server

EXAMPLES = int(os.environ.get("LATCHKEY_SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
OUT = Path(__file__).parent.parent / "target" / "schemathesis"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
METHODS_UPPER = {m.upper() for m in METHODS}


def _keystone_token(base):
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": ADMIN_PASSWORD}},
            },
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
        }
    }
    req = urllib.request.Request(base + "/v3/auth/tokens", data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as res:
        return res.headers["X-Subject-Token"]


def _keystone(base, token, path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("X-Auth-Token", token)
    with urllib.request.urlopen(req) as res:
        return json.loads(res.read())


def _objects(base, token, suffix):
    """One set of objects for the path parameters, named with `suffix`."""
    name = f"st-{suffix}"
    call_as_admin(
        base,
        "POST",
        "/1.0/me/identity/user",
        {"login": name, "email": f"{name}@example.com", "password": "schemathesis password"},
    )
    call_as_admin(base, "POST", f"/1.0/me/identity/user/{name}/token", {"name": name, "description": ""})
    call_as_admin(base, "POST", "/1.0/me/identity/group", {"name": name, "role": "NONE"})
    client = call_as_admin(
        base,
        "POST",
        "/1.0/me/api/oauth2/client",
        {"callbackUrls": [], "flow": "CLIENT_CREDENTIALS", "name": name, "description": ""},
    )
    policy = call_as_admin(
        base,
        "POST",
        "/v2/iam/policy",
        {
            "name": name,
            "identities": [f"urn:v1:eu:identity:user:lk0001-lk/{name}"],
            "resources": [{"urn": "urn:v1:eu:resource:account:lk0001-lk"}],
            "permissions": {"allow": [{"action": "account:apiovh:me/get"}]},
        },
    )
    domain = _keystone(base, token, "/v3/domains", {"domain": {"name": name}})["domain"]["id"]
    project = _keystone(base, token, "/v3/projects", {"project": {"name": name, "domain_id": domain}})
    role = _keystone(base, token, "/v3/roles", {"role": {"name": name}})["role"]["id"]
    user = _keystone(base, token, "/v3/users", {"user": {"name": name, "domain_id": domain, "password": "schemathesis password"}})["user"]["id"]
    group = _keystone(base, token, "/v3/groups", {"group": {"name": name, "domain_id": domain}})["group"]["id"]
    return {
        "ovh": {
            "path.user": name,
            "path.name": name,
            "path.group": name,
            "path.client": client["clientId"],
            "path.id": policy["id"],
        },
        "v3": {
            "path.user": user,
            "path.group": group,
            "path.domain": domain,
            "path.project": project["project"]["id"],
            "path.role": role,
        },
    }


def _toml_table(values):
    return "{ " + ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in values.items()) + " }"


def _config(kept, deleted):
    """Operations on /1.0, /v1 and /v2 take the OVH objects, /v3 the Keystone ones; DELETE
    operations the second set."""
    # The two event streams never end: a few events are enough to check their schema.
    sections = ["max-stream-events = 3\n"]
    for regex, key in (("^/(1\\.0|v1|v2)/", "ovh"), ("^/v3/", "v3")):
        for method, objects in (("exclude-method", kept), ("include-method", deleted)):
            sections.append(
                "[[operations]]\n"
                f"include-path-regex = {json.dumps(regex)}\n"
                f'{method} = "DELETE"\n'
                f"parameters = {_toml_table(objects[key])}\n"
            )
    return "\n".join(sections)


def _summary(report):
    """Operations tested (their labels), requests sent and failed checks, from the ndjson report."""
    operations, requests, failures = set(), 0, 0
    for line in report.read_text().splitlines():
        event = json.loads(line)
        kind, body = next(iter(event.items()))
        if kind == "ScenarioFinished":
            recorder = body.get("recorder", {})
            requests += len(recorder.get("interactions", {}))
            label = recorder.get("label", "")
            if body.get("phase") != "stateful" and label.split(" ")[0] in METHODS_UPPER:
                operations.add(label)
            for checks in recorder.get("checks", {}).values():
                failures += sum(1 for check in checks if check.get("status", "").lower() == "failure")
    return {"operations": sorted(operations), "requests": requests, "failed_checks": failures}


def test_schemathesis_finds_nothing():
    OUT.mkdir(parents=True, exist_ok=True)
    with running_server() as base:
        pat = call_as_admin(
            base, "POST", "/1.0/me/identity/user/admin/token", {"name": "schemathesis", "description": ""}
        )["token"]
        token = _keystone_token(base)
        config = OUT / "schemathesis.toml"
        config.write_text(_config(_objects(base, token, "kept"), _objects(base, token, "deleted")))
        reports = OUT / "reports"
        for old in reports.glob("*") if reports.exists() else []:
            old.unlink()
        run = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "--config-file",
                str(config),
                "run",
                base + "/openapi.json",
                "--header",
                f"Authorization: Bearer {pat}",
                "--header",
                f"X-Auth-Token: {token}",
                "--checks",
                CHECKS,
                "--phases",
                "coverage,fuzzing,stateful",
                "--max-examples",
                str(EXAMPLES),
                # One worker: CPython 3.11's ast module, which hypothesis calls, is not safe to
                # use from two threads at once (python/cpython#106905).
                "--workers",
                "1",
                "--seed",
                os.environ.get("LATCHKEY_SCHEMATHESIS_SEED", "1"),
                "--report",
                "ndjson",
                "--report-dir",
                str(reports),
                "--no-color",
            ],
            # Schemathesis keeps its cache in the working directory.
            cwd=OUT,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        (OUT / "output.txt").write_text(run.stdout + run.stderr)
    summary = _summary(next(reports.glob("*.ndjson")))
    (OUT / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    tested = set(summary["operations"])
    print(
        f"\nschemathesis: {len(tested)} operations, {summary['requests']} requests, "
        f"{summary['failed_checks']} failed checks",
        file=sys.__stderr__,
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert summary["failed_checks"] == 0, summary
    # Schemathesis leaves out the operation that serves the document it reads (test_openapi.py
    # validates that one); every other operation must have been tested.
    assert tested == _operations() - {"GET /openapi.json"}, _operations() ^ tested


def _operations():
    document = json.loads((Path(__file__).parent.parent / "openapi.json").read_text())
    return {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item if method in METHODS}
