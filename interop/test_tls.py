"""HTTPS with a certificate the test makes: the official OVHcloud Node.js SDK
(`@ovhcloud/node-ovh`, which reaches its API over https only) obtains an access token by OAuth2
client credentials and reads GET /me; Python's own TLS client sees TLS 1.2+ and HSTS."""

import json
import os
import shutil
import ssl
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import pytest

from conftest import NIC, call_as_admin, running_server

NODE_DIR = Path(__file__).parent / "node"


@pytest.fixture(scope="module")
def certificate():
    with tempfile.TemporaryDirectory() as d:
        cert, key = Path(d) / "cert.pem", Path(d) / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True,
        )
        yield cert, key


@pytest.fixture(scope="module")
def https_server(certificate):
    cert, key = certificate
    with running_server(tls=(cert, key)) as base:
        yield base


def test_the_official_node_sdk_gets_me_over_https_with_client_credentials(https_server, certificate):
    assert shutil.which("node"), "node is not installed"
    cert, _ = certificate
    context = ssl.create_default_context(cafile=str(cert))
    created = call_as_admin(
        https_server, "POST", "/1.0/me/api/oauth2/client",
        {"callbackUrls": [], "flow": "CLIENT_CREDENTIALS", "name": "node-ovh", "description": "over https"},
        context,
    )
    client_id = created["clientId"]
    call_as_admin(
        https_server, "POST", "/v2/iam/policy",
        {
            "name": f"node-ovh-{client_id}",
            "identities": [f"urn:v1:eu:identity:credential:{NIC}/oauth2-{client_id}"],
            "permissions": {"allow": [{"action": "account:apiovh:me/get"}]},
            "resources": [{"urn": f"urn:v1:eu:resource:account:{NIC}"}],
        },
        context,
    )
    port = https_server.rsplit(":", 1)[1]
    env = dict(os.environ, LATCHKEY_PORT=port, CLIENT_ID=created["clientId"],
               CLIENT_SECRET=created["clientSecret"], NODE_EXTRA_CA_CERTS=str(cert))
    run = subprocess.run(["node", str(NODE_DIR / "me_over_oauth2.js")], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    me = json.loads(run.stdout)
    assert me["nichandle"] == NIC


def test_python_sees_tls_1_2_or_newer_and_hsts(https_server, certificate):
    cert, _ = certificate
    context = ssl.create_default_context(cafile=str(cert))
    with urllib.request.urlopen(https_server + "/healthz", context=context) as res:
        assert res.status == 200
        assert res.headers["Strict-Transport-Security"] == "max-age=31536000"
    old = ssl.create_default_context(cafile=str(cert))
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    with pytest.raises((ssl.SSLError, urllib.error.URLError)):
        urllib.request.urlopen(https_server + "/healthz", context=old)
