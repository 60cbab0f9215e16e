// The seed's service-account flow in the console: Add a service account (the secret shown
// once), the "Demo-service-account" policy made for it on the Policies page, then a
// client-credentials grant with that secret manages OAuth2 clients and is refused user
// management; the Associated policies column shows 1.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("./harness");

const run = h.serverAndBrowser();

async function grant(clientId, secret) {
  const res = await fetch(`${run.server.base}/auth/oauth2/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: "Basic " + Buffer.from(`${clientId}:${secret}`).toString("base64"),
    },
    body: "grant_type=client_credentials",
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).access_token;
}

test("a service account made in the console gets its rights from a policy made there", async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  await h.signIn(page, run.server.base, `${h.NIC}/admin`, h.ADMIN_PASSWORD);
  await page.getByRole("link", { name: "Service accounts", exact: true }).click();
  await page.getByRole("heading", { name: "Service accounts" }).waitFor();
  assert.match(await page.textContent("main"), /no service accounts/);
  await page.getByRole("link", { name: "Add a service account" }).click();
  await page.getByLabel("Name", { exact: true }).fill("demo-app");
  await page.getByLabel("Description", { exact: true }).fill("Demo for service account guide");
  assert.equal(await page.getByLabel("Flow").inputValue(), "CLIENT_CREDENTIALS");
  await h.screenshot(page, "add-a-service-account");
  assert.deepEqual(await h.seriousViolations(page), []);
  await page.getByRole("button", { name: "Create" }).click();

  await page.getByRole("heading", { name: "Client credentials" }).waitFor();
  const clientId = (await page.locator("#client-id").textContent()).trim();
  const secret = (await page.locator("#client-secret").textContent()).trim();
  assert.match(secret, /^lksec_/);
  assert.match(await page.textContent("main"), /It will not be displayed again\./);
  await h.screenshot(page, "service-account-created");
  assert.deepEqual(await h.seriousViolations(page), []);
  await page.reload();
  assert.ok(!(await page.content()).includes(secret), "the secret is gone on reload");

  // Without a policy, the service account may do nothing.
  const bare = await grant(clientId, secret);
  let res = await h.api(run.server.base, "GET", "/1.0/me/api/oauth2/client", { bearer: bare });
  assert.equal(res.status, 403);

  // The seed's policy, through the Policies page.
  await page.getByRole("link", { name: "Policies", exact: true }).click();
  await page.getByRole("link", { name: "Create a policy" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Demo-service-account");
  await page.getByLabel("Description", { exact: true }).fill("Demo for service account guide");
  await page.getByLabel(`Service account demo-app (${clientId})`).check();
  assert.ok(await page.getByLabel(/^This account/).isChecked());
  for (const verb of ["get", "create", "edit", "delete"]) {
    await page.getByLabel(new RegExp(`^account:apiovh:me/api/oauth2/client/${verb}\\b`)).check();
  }
  await h.screenshot(page, "create-a-policy");
  assert.deepEqual(await h.seriousViolations(page), []);
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByText("Policy Demo-service-account is created.").waitFor();
  const row = page.getByRole("row", { name: /Demo-service-account/ });
  assert.match(await row.textContent(), /Demo for service account guide/);
  await h.screenshot(page, "policies");
  assert.deepEqual(await h.seriousViolations(page), []);

  // View JSON shows it as /v2/iam/policy does.
  await page.getByRole("link", { name: "View JSON of Demo-service-account" }).click();
  const shown = JSON.parse(await page.locator("pre.json").textContent());
  assert.equal(shown.name, "Demo-service-account");
  assert.deepEqual(shown.identities, [`urn:v1:eu:identity:credential:${h.NIC}/oauth2-${clientId}`]);
  assert.deepEqual(shown.resources, [{ urn: `urn:v1:eu:resource:account:${h.NIC}` }]);
  assert.deepEqual(shown.permissions.allow.map((a) => a.action).sort(), [
    "account:apiovh:me/api/oauth2/client/create", "account:apiovh:me/api/oauth2/client/delete",
    "account:apiovh:me/api/oauth2/client/edit", "account:apiovh:me/api/oauth2/client/get",
  ]);
  const api = await h.api(run.server.base, "GET", `/v2/iam/policy/${shown.id}`, h.ADMIN);
  assert.deepEqual(api.body, shown);

  // The grant now manages OAuth2 clients, and is refused user management.
  const token = await grant(clientId, secret);
  res = await h.api(run.server.base, "GET", "/1.0/me/api/oauth2/client", { bearer: token });
  assert.equal(res.status, 200);
  res = await h.api(run.server.base, "POST", "/1.0/me/api/oauth2/client", { bearer: token },
    { name: "made-by-demo", description: "", flow: "CLIENT_CREDENTIALS", callbackUrls: [] });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  res = await h.api(run.server.base, "GET", "/1.0/me/identity/user", { bearer: token });
  assert.equal(res.status, 403);
  assert.equal(res.body.details.unauthorizedActionsByIAM, "account:apiovh:me/identity/user/get");

  // The Associated policies column counts it, and links to it.
  await page.getByRole("link", { name: "Service accounts", exact: true }).click();
  const sa = page.getByRole("row", { name: /demo-app/ });
  assert.equal((await sa.getByRole("link", { name: /associated policies of demo-app/ }).textContent()).trim(), "1");
  await h.screenshot(page, "service-accounts");
  assert.deepEqual(await h.seriousViolations(page), []);
  await sa.getByRole("link", { name: "1 associated policies of demo-app" }).click();
  await page.getByRole("row", { name: /Demo-service-account/ }).waitFor();

  // Delete repeats the seed's advice.
  await page.getByRole("link", { name: "Service accounts", exact: true }).click();
  await page.getByRole("link", { name: "Delete demo-app" }).click();
  assert.match(await page.textContent("main"), /detach it from the policies/);
  assert.match(await page.textContent("main"), /Deletion is permanent/);
  await context.close();
});
