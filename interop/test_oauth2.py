"""OAuth2 interoperability with real clients from PyPI: the official `ovh` SDK and authlib."""

import os

import ovh
import ovh.client
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt

NIC = "lk0001-lk"


def test_ovh_sdk_service_account_has_exactly_what_the_seed_policy_grants(
    server, service_account, as_admin, monkeypatch
):
    client_id, client_secret = service_account
    # The SDK knows its endpoints by region name; point the EU region at this server.
    monkeypatch.setitem(ovh.client.ENDPOINTS, "ovh-eu", server + "/1.0")
    monkeypatch.setitem(ovh.client.OAUTH2_TOKEN_URLS, "ovh-eu", server + "/auth/oauth2/token")
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # loopback HTTP in tests
    client = ovh.Client(endpoint="ovh-eu", client_id=client_id, client_secret=client_secret)
    # Authenticated, but no policy names it yet: the SDK raises the API's own 403.
    with pytest.raises(ovh.exceptions.NotGrantedCall) as refused:
        client.get("/me/api/oauth2/client")
    assert "User not granted for this request" in str(refused.value)

    # The seed's example policy, created as written (adapted to this account).
    as_admin(
        "POST",
        "/v2/iam/policy",
        {
            "description": "Demo for service account guide",
            "identities": [f"urn:v1:eu:identity:credential:{NIC}/oauth2-{client_id}"],
            "name": f"Demo-service-account-{client_id}",
            "permissions": {
                "allow": [
                    {"action": "account:apiovh:me/api/oauth2/client/get"},
                    {"action": "account:apiovh:me/api/oauth2/client/create"},
                    {"action": "account:apiovh:me/api/oauth2/client/edit"},
                    {"action": "account:apiovh:me/api/oauth2/client/delete"},
                ]
            },
            "resources": [{"urn": f"urn:v1:eu:resource:account:{NIC}"}],
        },
    )
    assert client_id in client.get("/me/api/oauth2/client")
    made = client.post(
        "/me/api/oauth2/client", callbackUrls=[], flow="CLIENT_CREDENTIALS", name="made by the SDK", description=""
    )
    client.put(f"/me/api/oauth2/client/{made['clientId']}", description="edited by the SDK")
    assert client.get(f"/me/api/oauth2/client/{made['clientId']}")["description"] == "edited by the SDK"
    client.delete(f"/me/api/oauth2/client/{made['clientId']}")
    with pytest.raises(ovh.exceptions.NotGrantedCall):
        client.get("/me/identity/user")
    with pytest.raises(ovh.exceptions.NotGrantedCall):
        client.get("/v2/iam/policy")
    token = client._oauth2.token["access_token"]
    seen = requests.post(
        server + "/auth/oauth2/introspect", data={"token": token}, auth=(client_id, client_secret)
    ).json()
    assert seen["active"] is True
    assert seen["sub"] == f"urn:v1:eu:identity:credential:{NIC}/oauth2-{client_id}"


def test_ovh_sdk_reports_a_wrong_secret(server, service_account, monkeypatch):
    client_id, _ = service_account
    monkeypatch.setitem(ovh.client.ENDPOINTS, "ovh-eu", server + "/1.0")
    monkeypatch.setitem(ovh.client.OAUTH2_TOKEN_URLS, "ovh-eu", server + "/auth/oauth2/token")
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    client = ovh.Client(endpoint="ovh-eu", client_id=client_id, client_secret="lksec_wrong")
    with pytest.raises(ovh.exceptions.OAuth2FailureError) as failed:
        client.get("/me")
    assert "invalid_client" in str(failed.value)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_client_credentials_introspection_and_revocation(server, service_account, method):
    client_id, client_secret = service_account
    session = OAuth2Session(client_id, client_secret, token_endpoint_auth_method=method)
    token = session.fetch_token(server + "/auth/oauth2/token", grant_type="client_credentials")
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "all"
    assert 0 < token["expires_in"] <= 3600
    access = token["access_token"]

    seen = session.introspect_token(server + "/auth/oauth2/introspect", token=access).json()
    assert seen["active"] is True and seen["client_id"] == client_id

    api = requests.get(server + "/1.0/me", headers={"Authorization": f"Bearer {access}"})
    assert api.status_code == 403  # authenticated; no rights granted yet

    assert session.revoke_token(server + "/auth/oauth2/revoke", token=access).status_code == 200
    assert session.introspect_token(server + "/auth/oauth2/introspect", token=access).json() == {"active": False}
    api = requests.get(server + "/1.0/me", headers={"Authorization": f"Bearer {access}"})
    assert api.status_code == 401


def test_access_token_verifies_offline_with_the_published_jwks(server, service_account):
    client_id, client_secret = service_account
    session = OAuth2Session(client_id, client_secret)
    access = session.fetch_token(server + "/auth/oauth2/token", grant_type="client_credentials")["access_token"]
    meta = requests.get(server + "/.well-known/oauth-authorization-server").json()
    jwks = requests.get(meta["jwks_uri"]).json()
    claims = jwt.decode(access, JsonWebKey.import_key_set(jwks))
    claims.validate()
    assert claims["iss"] == meta["issuer"]
    assert claims["sub"] == f"urn:v1:eu:identity:credential:{NIC}/oauth2-{client_id}"
    assert claims["aud"] == "latchkey"
    tampered = access[:-4] + ("AAAA" if not access.endswith("AAAA") else "BBBB")
    with pytest.raises(Exception):
        jwt.decode(tampered, JsonWebKey.import_key_set(jwks))


def test_pat_introspection_by_a_bearer_of_the_same_account(server, admin_pat):
    seen = requests.post(
        server + "/auth/oauth2/introspect", data={"token": admin_pat}, headers={"Authorization": f"Bearer {admin_pat}"}
    ).json()
    assert seen["active"] is True and seen["username"] == "admin"
