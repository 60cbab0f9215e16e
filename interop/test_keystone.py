"""Keystone v3 interoperability with real OpenStack clients from PyPI: the seed's curl commands,
the `openstack` CLI with an OpenRC downloaded from the server, keystoneauth1 sessions
(password and application credential) and keystonemiddleware's auth_token filter."""

import base64
import json
import os
import subprocess
import sys
import urllib.request

import pytest
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystonemiddleware import auth_token
import webob
import webob.dec

from conftest import ADMIN_PASSWORD, NIC

OPENSTACK = os.path.join(os.path.dirname(sys.executable), "openstack")


def _admin_get(server, path):
    req = urllib.request.Request(server + path)
    auth = base64.b64encode(f"{NIC}/admin:{ADMIN_PASSWORD}".encode()).decode()
    req.add_header("Authorization", "Basic " + auth)
    with urllib.request.urlopen(req) as res:
        return res.read().decode()


def _openrc_env(server, tmp_path):
    """Downloads the admin's OpenRC, sources it in bash, and returns the environment it makes."""
    rc = tmp_path / "openrc.sh"
    rc.write_text(_admin_get(server, "/1.0/me/identity/user/admin/openrc?project=admin&region=RegionOne"))
    clean = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "OS_PASSWORD": ADMIN_PASSWORD}
    out = subprocess.run(
        ["bash", "-c", f". {rc} && env -0"], env=clean, check=True, capture_output=True
    ).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if item)


def _openstack(env, *args):
    done = subprocess.run([OPENSTACK, *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_seed_curl_commands_run_as_written(server):
    env = {
        "PATH": os.environ["PATH"],
        "OS_AUTH_URL": server + "/v3/",
        "OS_USERNAME": "admin",
        "OS_PASSWORD": ADMIN_PASSWORD,
        "OS_TENANT_NAME": "admin",
    }
    # "Managing tokens", step 1, with the headers kept so the token can be read.
    script = r"""
curl -si -X POST ${OS_AUTH_URL}auth/tokens -H "Content-Type: application/json" -d ' { "auth": { "identity": { "methods": ["password"], "password": { "user": { "name": "'$OS_USERNAME'", "domain": { "id": "default" }, "password": "'"$OS_PASSWORD"'" } } }, "scope": { "project": { "name": "'$OS_TENANT_NAME'", "domain": { "id": "default" } } } } }' > response.txt
export OS_TOKEN=$(grep -i '^X-Subject-Token' response.txt | cut -d' ' -f2 | tr -d '\r')
sed -n '/^\r$/,$p' response.txt | python3 -mjson.tool > body.json
curl -s -H "X-Auth-Token: $OS_TOKEN" ${OS_AUTH_URL}auth/catalog
"""
    workdir = os.path.dirname(os.path.abspath(__file__))
    tmp = os.path.join(workdir, "..", "target", "interop-seed")
    os.makedirs(tmp, exist_ok=True)
    done = subprocess.run(["bash", "-c", script], env=env, cwd=tmp, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    catalog = json.loads(done.stdout)["catalog"]
    assert any(s["type"] == "identity" for s in catalog)
    body = json.load(open(os.path.join(tmp, "body.json")))["token"]
    assert body["project"]["name"] == "admin"
    assert body["user"]["domain"] == {"id": "default", "name": "Default"}
    assert "admin" in {r["name"] for r in body["roles"]}


def test_openstack_cli_with_a_downloaded_openrc(server, tmp_path):
    env = _openrc_env(server, tmp_path)
    assert env["OS_AUTH_URL"] == server + "/v3/"
    issued = json.loads(_openstack(env, "token", "issue", "-f", "json"))
    assert issued["project_id"] and issued["user_id"]
    catalog = json.loads(_openstack(env, "catalog", "list", "-f", "json"))
    assert [c["Type"] for c in catalog] == ["identity"]
    projects = json.loads(_openstack(env, "project", "list", "-f", "json"))
    assert "admin" in [p["Name"] for p in projects]
    # Revoke the token issued above: it no longer validates.
    _openstack(env, "token", "revoke", issued["id"])
    req = urllib.request.Request(server + "/v3/auth/tokens", method="HEAD")
    fresh = _openstack(env, "token", "issue", "-f", "value", "-c", "id").strip()
    req.add_header("X-Auth-Token", fresh)
    req.add_header("X-Subject-Token", issued["id"])
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(req)
    assert gone.value.code == 404
    # The seed's step 3 and 4: use the token itself, without the user's domain.
    token_env = {k: v for k, v in env.items() if not k.startswith("OS_")}
    token_env.update(OS_AUTH_URL=env["OS_AUTH_URL"], OS_AUTH_TYPE="token", OS_TOKEN=fresh,
                     OS_PROJECT_ID=env["OS_PROJECT_ID"], OS_IDENTITY_API_VERSION="3")
    again = json.loads(_openstack(token_env, "project", "show", env["OS_PROJECT_ID"], "-f", "json"))
    assert again["name"] == "admin"


def test_keystoneauth_password_session_finds_the_identity_endpoint(server):
    auth = v3.Password(
        auth_url=server + "/v3",
        username="admin",
        password=ADMIN_PASSWORD,
        user_domain_id="default",
        project_name="admin",
        project_domain_name="Default",
    )
    sess = ks_session.Session(auth=auth)
    endpoint = sess.get_endpoint(service_type="identity", interface="public", region_name="RegionOne")
    assert endpoint.rstrip("/") == server + "/v3"
    projects = sess.get("/projects", endpoint_filter={"service_type": "identity"}).json()
    assert "admin" in [p["name"] for p in projects["projects"]]
    with pytest.raises(ks_exceptions.Unauthorized):
        bad = v3.Password(auth_url=server + "/v3", username="admin", password="wrong",
                          user_domain_id="default", project_name="admin", project_domain_id="default")
        ks_session.Session(auth=bad).get_token()


def test_keystoneauth_application_credential_is_a_service_account(server, service_account):
    client_id, client_secret = service_account
    admin = v3.Password(auth_url=server + "/v3", username="admin", password=ADMIN_PASSWORD,
                        user_domain_id="default", project_name="admin", project_domain_id="default")
    admin_sess = ks_session.Session(auth=admin)
    project = admin_sess.get_project_id()
    member = admin_sess.get("/roles?name=member", endpoint_filter={"service_type": "identity"}).json()
    role = member["roles"][0]["id"]
    admin_sess.put(f"/projects/{project}/users/{client_id}/roles/{role}",
                   endpoint_filter={"service_type": "identity"})
    auth = v3.ApplicationCredential(
        auth_url=server + "/v3", application_credential_id=client_id,
        application_credential_secret=client_secret,
    )
    sess = ks_session.Session(auth=auth)
    assert sess.get_project_id() == project
    endpoint = sess.get_endpoint(service_type="identity", interface="internal")
    assert endpoint.rstrip("/") == server + "/v3"


def test_keystonemiddleware_validates_tokens_and_rejects_revoked_ones(server):
    @webob.dec.wsgify
    def app(req):
        return webob.Response(json.dumps({
            "status": req.environ.get("HTTP_X_IDENTITY_STATUS"),
            "user": req.environ.get("HTTP_X_USER_NAME"),
            "project": req.environ.get("HTTP_X_PROJECT_NAME"),
            "roles": req.environ.get("HTTP_X_ROLES"),
        }), content_type="application/json", charset="utf-8")

    conf = {
        "www_authenticate_uri": server + "/v3",
        "auth_type": "password",
        "auth_url": server + "/v3",
        "username": "admin",
        "password": ADMIN_PASSWORD,
        "user_domain_id": "default",
        "project_name": "admin",
        "project_domain_id": "default",
        "token_cache_time": -1,
        "delay_auth_decision": False,
    }
    filtered = auth_token.AuthProtocol(app, conf)

    user = v3.Password(auth_url=server + "/v3", username="admin", password=ADMIN_PASSWORD,
                       user_domain_id="default", project_name="admin", project_domain_id="default")
    user_sess = ks_session.Session(auth=user)
    token = user_sess.get_token()

    res = webob.Request.blank("/photos", headers={"X-Auth-Token": token}).get_response(filtered)
    assert res.status_int == 200, res.text
    seen = json.loads(res.text)
    assert seen["status"] == "Confirmed"
    assert seen["user"] == "admin" and seen["project"] == "admin"
    assert "admin" in seen["roles"].split(",")

    res = webob.Request.blank("/photos", headers={"X-Auth-Token": "garbage"}).get_response(filtered)
    assert res.status_int == 401
    assert res.headers["WWW-Authenticate"].startswith("Keystone uri=")

    # Revoke it through the API: the filter refuses it on the next request.
    req = urllib.request.Request(server + "/v3/auth/tokens", method="DELETE")
    req.add_header("X-Auth-Token", token)
    req.add_header("X-Subject-Token", token)
    with urllib.request.urlopen(req) as done:
        assert done.status == 204
    res = webob.Request.blank("/photos", headers={"X-Auth-Token": token}).get_response(filtered)
    assert res.status_int == 401
