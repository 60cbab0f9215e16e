// Permissions groups in the console: the installation's managed groups listed read-only; a group
// made on the Permissions groups page, then picked in a policy made on the Policies page, gives
// a user its actions with the group's own except; a group a policy names cannot be deleted.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("./harness");

const run = h.serverAndBrowser({}, async ({ server }) => {
  await h.api(server.base, "POST", "/1.0/me/identity/user", h.ADMIN,
    { login: "alice", email: "alice@example.com", password: "Corr3ct-Horse-Battery!", description: "Support" });
});

test("a permissions group made in the console gives a policy its actions, with its own except", async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  await h.signIn(page, run.server.base, `${h.NIC}/admin`, h.ADMIN_PASSWORD);
  await page.getByRole("heading", { name: "Local users" }).waitFor();
  await page.getByRole("link", { name: "Permissions groups", exact: true }).click();
  await page.getByRole("heading", { name: "Permissions groups" }).waitFor();
  const managed = page.getByRole("row", { name: /accountReader/ });
  assert.match(await managed.textContent(), /latchkey/);
  assert.match(await managed.textContent(), /Read-only/);
  assert.equal(await managed.getByRole("link", { name: /Edit/ }).count(), 0);
  await h.screenshot(page, "permissions-groups");
  assert.deepEqual(await h.seriousViolations(page), []);

  await page.getByRole("link", { name: "Create a permissions group" }).click();
  await page.getByLabel("Name", { exact: true }).fill("userReaders");
  await page.getByLabel("Description", { exact: true }).fill("Read the account's users");
  await page.getByLabel("Allowed actions", { exact: true }).fill("account:apiovh:me/identity/user/*");
  await page.getByLabel("Except", { exact: true }).fill("account:apiovh:me/identity/user/create");
  await h.screenshot(page, "create-a-permissions-group");
  assert.deepEqual(await h.seriousViolations(page), []);
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByText("Permissions group userReaders is created.").waitFor();
  const api = await h.api(run.server.base, "GET",
    `/v2/iam/permissionsGroup/urn:v1:eu:permissionsGroup:${h.NIC}:userReaders`, h.ADMIN);
  assert.equal(api.status, 200);
  assert.deepEqual(api.body.permissions.except, [{ action: "account:apiovh:me/identity/user/create" }]);

  // A policy for alice that picks the group and allows nothing of its own but me/get.
  await page.getByRole("link", { name: "Policies", exact: true }).click();
  await page.getByRole("link", { name: "Create a policy" }).click();
  await page.getByLabel("Name", { exact: true }).fill("alice-reads-users");
  await page.getByLabel("User alice").check();
  await page.getByLabel(/^account:apiovh:me\/get\b/).check();
  await page.getByLabel(/^userReaders \(/).check();
  await h.screenshot(page, "create-a-policy-with-a-permissions-group");
  assert.deepEqual(await h.seriousViolations(page), []);
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByText("Policy alice-reads-users is created.").waitFor();

  const made = await h.api(run.server.base, "POST", "/1.0/me/identity/user/alice/token", h.ADMIN,
    { name: "console-test", description: "" });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  const alice = { bearer: made.body.token };
  let res = await h.api(run.server.base, "GET", "/1.0/me/identity/user", alice);
  assert.equal(res.status, 200);
  res = await h.api(run.server.base, "POST", "/1.0/me/identity/user", alice,
    { login: "bob", email: "bob@example.com", password: "Corr3ct-Horse-Battery!", description: "" });
  assert.equal(res.status, 403);
  assert.equal(res.body.details.unauthorizedActionsByIAM, "account:apiovh:me/identity/user/create");

  // Editing the policy keeps the group picked.
  await page.getByRole("link", { name: "Edit alice-reads-users" }).click();
  assert.ok(await page.getByLabel(/^userReaders \(/).isChecked());

  // Named by the policy, the group cannot be deleted; the refusal says why.
  await page.getByRole("link", { name: "Permissions groups", exact: true }).click();
  await page.getByRole("link", { name: "Delete userReaders" }).click();
  await page.getByRole("button", { name: /Delete/ }).click();
  assert.match(await page.textContent("main"), /named by policy alice-reads-users/);
  await h.screenshot(page, "permissions-group-named-by-a-policy");
  res = await h.api(run.server.base, "GET", "/1.0/me/identity/user", alice);
  assert.equal(res.status, 200);
  await context.close();
});
