// Every main page of the console, as the operator's ROOT user sees it: it renders in the
// frame, passes axe-core with no serious or critical violation, and is saved as a screenshot.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("./harness");

const run = h.serverAndBrowser({}, async ({ server }) => {
  await h.api(server.base, "POST", "/1.0/me/identity/user", h.ADMIN,
    { login: "alice", email: "alice@example.com", password: "Corr3ct-Horse-Battery!", description: "Billing" });
  await h.api(server.base, "POST", "/1.0/me/identity/group", h.ADMIN,
    { name: "auditors", role: "REGULAR", description: "Read-only audits" });
});

const PAGES = [
  ["Local users", "/console/identities/users", "local-users-list"],
  ["Add a user", "/console/identities/users/new", "add-a-user"],
  ["Edit alice", "/console/identities/users/alice/edit", "edit-a-user"],
  ["Delete the user alice?", "/console/identities/users/alice/delete", "delete-a-user"],
  ["User groups", "/console/identities/groups", "user-groups"],
  ["Add a group", "/console/identities/groups/new", "add-a-group"],
  ["Service accounts", "/console/identities/service-accounts", "service-accounts-empty"],
  ["Policies", "/console/iam/policies", "policies-empty"],
  ["Permissions groups", "/console/iam/permissions-groups", "permissions-groups-managed"],
  ["Create a permissions group", "/console/iam/permissions-groups/new", "create-a-permissions-group-empty"],
  ["Audit logs", "/console/audit", "audit-logs"],
  ["Keystone", "/console/keystone", "keystone-page"],
  ["Operator", "/console/operator", "operator"],
];

test("every main page renders in the frame and passes axe-core", async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  await h.signIn(page, run.server.base, `${h.NIC}/admin`, h.ADMIN_PASSWORD);
  await page.getByRole("heading", { name: "Local users" }).waitFor();
  for (const [heading, path, shot] of PAGES) {
    const res = await page.goto(run.server.base + path);
    assert.equal(res.status(), 200, path);
    await page.getByRole("heading", { name: heading, exact: true }).waitFor();
    assert.ok(await page.getByRole("navigation", { name: "Console" }).isVisible(), path);
    assert.match(await page.textContent("header"), /Signed in as admin/);
    await h.screenshot(page, shot);
    assert.deepEqual(await h.seriousViolations(page), [], path);
  }
  await context.close();
});

test("the pages are usable from the keyboard: a skip link, then the navigation", async () => {
  const page = await run.browser.newPage();
  await h.signIn(page, run.server.base, `${h.NIC}/admin`, h.ADMIN_PASSWORD);
  await page.getByRole("heading", { name: "Local users" }).waitFor();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to content");
  await page.keyboard.press("Enter");
  assert.ok(page.url().endsWith("#content"));
  await page.close();
});
