"""The example product back end (object storage behind the Latchkey guard) with real OpenStack
clients from PyPI: python-swiftclient (authenticating with python-keystoneclient) finds it in the
catalog, then reads, writes and fails exactly as against Swift."""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from swiftclient import client as swift
from swiftclient.exceptions import ClientException

from conftest import ADMIN_PASSWORD, NIC, call_as_admin, running_server

SEED_OBJECT = "fullsize/ovh-summit-2014-backstage-DS.jpg"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keystone(server, method, path, token=None, body=None, subject=None):
    req = urllib.request.Request(server + path, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    if subject:
        req.add_header("X-Subject-Token", subject)
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(req, data=data) as res:
        return res.headers, json.loads(res.read() or b"null")


def _admin_token(server):
    auth = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": ADMIN_PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    headers, body = _keystone(server, "POST", "/v3/auth/tokens", body=auth)
    return headers["X-Subject-Token"], body["token"]["project"]["id"]


@pytest.fixture(scope="module")
def server():
    """A server of this module's own: its catalog gains a service the other modules do not
    expect."""
    with running_server() as base:
        yield base


@pytest.fixture(scope="module")
def storage(server):
    """The example object storage, behind a guard, in the catalog as `object-store`."""
    token, project = _admin_token(server)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    _, service = _keystone(server, "POST", "/v3/services", token,
                           {"service": {"type": "object-store", "name": "swift"}})
    _keystone(server, "POST", "/v3/endpoints", token, {"endpoint": {
        "service_id": service["service"]["id"], "interface": "public", "region_id": "RegionOne",
        "url": url + "/v1/AUTH_$(project_id)s"}})
    pat = call_as_admin(server, "POST", "/1.0/me/identity/user/admin/token",
                {"name": "object-storage-guard", "description": "the guard's credential"})["token"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LATCHKEY_", "OS_"))}
    env.update(LATCHKEY_URL=server, LATCHKEY_TOKEN=pat)
    proc = subprocess.Popen(
        [os.environ["OBJECT_STORAGE_BIN"], "--listen", f"127.0.0.1:{port}",
         "--project", f"{project}={NIC}", "--seed"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/v1/AUTH_x/c/o")
            except urllib.error.HTTPError:
                break  # it answers (401 without a token)
            except OSError:
                time.sleep(0.1)
        yield url, project
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _connection(server, **extra):
    return swift.Connection(
        authurl=server + "/v3", user="admin", key=ADMIN_PASSWORD, auth_version="3",
        os_options={"project_name": "admin", "project_domain_id": "default",
                    "user_domain_id": "default", "region_name": "RegionOne"},
        retries=0, **extra)


def test_swiftclient_reads_the_seed_object_found_through_the_catalog(server, storage):
    url, project = storage
    conn = _connection(server)
    headers = conn.head_object("photos", SEED_OBJECT)
    assert headers["content-length"] == "190046"
    assert headers["content-type"] == "image/jpeg"
    assert headers["last-modified"] == "Thu, 24 Sep 2015 14:20:11 GMT"
    for name in ("etag", "x-timestamp", "x-trans-id"):
        assert name in headers
    # The storage URL came from the token's catalog, with the project filled in.
    assert conn.url == f"{url}/v1/AUTH_{project}"
    _, body = conn.get_object("photos", SEED_OBJECT)
    assert len(body) == 190046


def test_swiftclient_writes_then_reads_an_object(server, storage):
    conn = _connection(server)
    etag = conn.put_object("docs", "notes/readme.txt", contents=b"hello guard",
                           content_type="text/plain")
    headers, body = conn.get_object("docs", "notes/readme.txt")
    assert body == b"hello guard"
    assert headers["content-type"] == "text/plain"
    assert headers["etag"] == etag
    with pytest.raises(ClientException) as missing:
        conn.head_object("docs", "nothing-here")
    assert missing.value.http_status == 404


def test_a_revoked_or_foreign_token_is_refused_by_the_guard(server, storage):
    url, project = storage
    token, _ = _admin_token(server)
    conn = swift.Connection(preauthurl=f"{url}/v1/AUTH_{project}", preauthtoken=token, retries=0)
    assert conn.head_object("photos", SEED_OBJECT)["content-length"] == "190046"
    admin, _ = _admin_token(server)
    _keystone(server, "DELETE", "/v3/auth/tokens", admin, subject=token)
    deadline = time.monotonic() + 1.0
    while True:
        try:
            conn.head_object("photos", SEED_OBJECT)
        except ClientException as refused:
            assert refused.http_status == 401
            break
        assert time.monotonic() < deadline, "the revoked token was still accepted after 1 s"
        time.sleep(0.02)
    garbage = swift.Connection(preauthurl=f"{url}/v1/AUTH_{project}", preauthtoken="garbage", retries=0)
    with pytest.raises(ClientException) as refused:
        garbage.head_object("photos", SEED_OBJECT)
    assert refused.value.http_status == 401
