"""Starts a real `latchkey serve` on a free loopback port with a fresh data directory, and
gives the tests its base URL and a service account made through the API."""

import base64
import contextlib
import json
import os
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request

import pytest

ADMIN_PASSWORD = "interop admin password"
NIC = "lk0001-lk"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call_as_admin(base, method, path, body=None, context=None):
    """One API call as the bootstrap ROOT user; `context` is the TLS context for https."""
    req = urllib.request.Request(base + path, method=method)
    auth = base64.b64encode(f"{NIC}/admin:{ADMIN_PASSWORD}".encode()).decode()
    req.add_header("Authorization", "Basic " + auth)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data=data, context=context) as res:
        return json.loads(res.read() or b"null")


@contextlib.contextmanager
def running_server(tls=None):
    """A `latchkey serve` on a fresh data directory, for as long as the block runs; over HTTPS
    when `tls` is a (certificate file, key file) pair."""
    binary = os.environ["LATCHKEY_BIN"]
    port = _free_port()
    scheme = "https" if tls else "http"
    base = f"{scheme}://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LATCHKEY_")}
        env.update(
            LATCHKEY_DATA_DIR=data,
            LATCHKEY_LISTEN=f"127.0.0.1:{port}",
            LATCHKEY_PUBLIC_URL=base,
            LATCHKEY_ADMIN_PASSWORD=ADMIN_PASSWORD,
        )
        context = None
        if tls:
            env.update(LATCHKEY_TLS_CERT_FILE=str(tls[0]), LATCHKEY_TLS_KEY_FILE=str(tls[1]))
            context = ssl.create_default_context(cafile=str(tls[0]))
        proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(base + "/healthz", context=context)
                    break
                except OSError:
                    time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.fixture(scope="session")
def server():
    with running_server() as base:
        yield base


@pytest.fixture()
def service_account(server):
    created = call_as_admin(
        server,
        "POST",
        "/1.0/me/api/oauth2/client",
        {"callbackUrls": [], "flow": "CLIENT_CREDENTIALS", "name": "interop", "description": "PyPI clients"},
    )
    return created["clientId"], created["clientSecret"]


@pytest.fixture()
def as_admin(server):
    """Calls the API as the bootstrap ROOT user: as_admin(method, path, body=None)."""
    return lambda method, path, body=None: call_as_admin(server, method, path, body)


@pytest.fixture()
def admin_pat(server):
    created = call_as_admin(
        server, "POST", "/1.0/me/identity/user/admin/token", {"name": f"interop-{time.monotonic_ns()}", "description": ""}
    )
    return created["token"]
