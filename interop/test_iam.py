"""IAM through /v2 with the official `ovh` SDK from PyPI: a service account given the managed
policy administrator permissions group drives permissions groups, resource tags and resource
groups, and writes a policy naming both kinds of group."""

import time

import ovh
import ovh.client
import pytest

NIC = "lk0001-lk"


def _sdk(server, client_id, client_secret, monkeypatch):
    monkeypatch.setitem(ovh.client.ENDPOINTS, "ovh-eu", server + "/1.0")
    monkeypatch.setitem(ovh.client.OAUTH2_TOKEN_URLS, "ovh-eu", server + "/auth/oauth2/token")
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # loopback HTTP in tests
    return ovh.Client(endpoint="ovh-eu", client_id=client_id, client_secret=client_secret)


def test_ovh_sdk_drives_permissions_groups_tags_and_resource_groups(
    server, service_account, as_admin, monkeypatch
):
    client_id, client_secret = service_account
    sdk = _sdk(server, client_id, client_secret, monkeypatch)
    me = f"urn:v1:eu:identity:credential:{NIC}/oauth2-{client_id}"
    suffix = str(time.monotonic_ns())
    with pytest.raises(ovh.exceptions.NotGrantedCall):
        sdk.get("/v2/iam/permissionsGroup")

    # The service account gets the installation's policy administrator group, nothing else.
    as_admin(
        "POST",
        "/v2/iam/policy",
        {
            "name": f"sdk-policy-admin-{suffix}",
            "identities": [me],
            "resources": [{"urn": f"urn:v1:eu:resource:account:{NIC}"}],
            "permissions": {},
            "permissionsGroups": [{"urn": "urn:v1:eu:permissionsGroup:latchkey:policyAdministrator"}],
        },
    )
    managed = {g["name"]: g for g in sdk.get("/v2/iam/permissionsGroup") if g["owner"] == "latchkey"}
    assert {"accountReader", "policyAdministrator", "identityAdministrator"} <= managed.keys()
    # It reads users (to name them in policies), not service accounts.
    assert sdk.get("/me/identity/user")
    with pytest.raises(ovh.exceptions.NotGrantedCall):
        sdk.get("/me/api/oauth2/client")

    # A permissions group of the account, created, read back and replaced.
    name = f"containerReaders{suffix}"
    made = sdk.post(
        "/v2/iam/permissionsGroup",
        name=name,
        description="Read containers",
        permissions={"allow": [{"action": "objectStorage:apiovh:object/get"}]},
    )
    urn = f"urn:v1:eu:permissionsGroup:{NIC}:{name}"
    assert made["urn"] == urn and made["owner"] == NIC
    sdk.put(
        f"/v2/iam/permissionsGroup/{urn}",
        name=name,
        description="Read and list containers",
        permissions={
            "allow": [{"action": "objectStorage:apiovh:object/*"}],
            "except": [{"action": "objectStorage:apiovh:object/delete"}],
        },
    )
    read = sdk.get(f"/v2/iam/permissionsGroup/{urn}")
    assert read["description"] == "Read and list containers"
    assert read["permissions"]["except"] == [{"action": "objectStorage:apiovh:object/delete"}]

    # A product back end registers a container; the SDK lists it by type and tag, and tags it.
    container = f"photos-{suffix}"
    as_admin(
        "POST",
        "/v2/admin/resource",
        {"owner": NIC, "type": "objectStorage", "name": container, "tags": {"env": "prod"}},
    )
    resource_urn = f"urn:v1:eu:resource:objectStorage:{container}"
    found = sdk.get("/v2/iam/resource", **{"resourceType[]": "objectStorage", "tags[env]": "prod"})
    assert resource_urn in [r["urn"] for r in found]
    resource = next(r for r in found if r["urn"] == resource_urn)
    assert resource["owner"] == NIC and resource["tags"] == {"env": "prod"}
    sdk.post(f"/v2/iam/resource/{resource_urn}/tag", key="team", value="media")
    assert sdk.get(f"/v2/iam/resource/{resource_urn}")["tags"] == {"env": "prod", "team": "media"}
    sdk.put(f"/v2/iam/resource/{resource_urn}", tags={"env": "dev", "team": "media"})
    sdk.delete(f"/v2/iam/resource/{resource_urn}/tag/team")
    assert sdk.get(f"/v2/iam/resource/{resource_urn}")["tags"] == {"env": "dev"}
    assert resource_urn not in [r["urn"] for r in sdk.get("/v2/iam/resource", **{"tags[env]": "prod"})]

    # A resource group of it, shown whole with details=true.
    group = sdk.post("/v2/iam/resourceGroup", name=f"media-{suffix}", resources=[{"id": resource["id"]}])
    detailed = sdk.get(f"/v2/iam/resourceGroup/{group['id']}", details=True)
    assert detailed["resources"][0]["urn"] == resource_urn

    # A policy naming the resource group and the permissions group, read back with details.
    policy = sdk.post(
        "/v2/iam/policy",
        name=f"media-readers-{suffix}",
        identities=[f"urn:v1:eu:identity:group:{NIC}/DEFAULT"],
        resources=[{"urn": group["urn"]}],
        permissions={},
        permissionsGroups=[{"urn": urn}],
    )
    shown = sdk.get(f"/v2/iam/policy/{policy['id']}", details=True)
    assert shown["resources"][0]["group"]["name"] == f"media-{suffix}"
    assert shown["permissionsGroups"][0]["name"] == name
    assert shown["permissionsGroups"][0]["permissions"]["allow"] == [{"action": "objectStorage:apiovh:object/*"}]

    # Named by a policy, neither group can go; once the policy is gone, both can.
    with pytest.raises(ovh.exceptions.ResourceConflictError):
        sdk.delete(f"/v2/iam/permissionsGroup/{urn}")
    with pytest.raises(ovh.exceptions.ResourceConflictError):
        sdk.delete(f"/v2/iam/resourceGroup/{group['id']}")
    sdk.delete(f"/v2/iam/policy/{policy['id']}")
    sdk.delete(f"/v2/iam/permissionsGroup/{urn}")
    sdk.delete(f"/v2/iam/resourceGroup/{group['id']}")
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        sdk.get(f"/v2/iam/permissionsGroup/{urn}")
    # The managed groups stay the installation's.
    with pytest.raises(ovh.exceptions.NotGrantedCall):
        sdk.delete("/v2/iam/permissionsGroup/urn:v1:eu:permissionsGroup:latchkey:accountReader")
