// The seed's flow in the console: a user's Manage tokens, Add a token with a 1-day duration,
// the value shown once, used with curl as Bearer and as `pat_jwt_` Basic, gone on reload,
// Delete after the confirmation, then refused.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("./harness");

const run = h.serverAndBrowser();

test("a token added in the console is shown once, works, and is refused once deleted", async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  const dialogs = [];
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });

  await h.signIn(page, run.server.base, `${h.NIC}/admin`, h.ADMIN_PASSWORD);
  await page.getByRole("link", { name: "Local users" }).click();
  await assert.doesNotReject(page.getByRole("heading", { name: "Local users" }).waitFor());
  await h.screenshot(page, "local-users");
  assert.deepEqual(await h.seriousViolations(page), []);

  await page.getByRole("link", { name: "Manage tokens of admin" }).click();
  await page.getByRole("heading", { name: "Manage tokens of admin" }).waitFor();
  assert.match(await page.textContent("main"), /admin has no tokens/);
  await h.screenshot(page, "manage-tokens-empty");
  assert.deepEqual(await h.seriousViolations(page), []);

  await page.getByRole("link", { name: "Add a token" }).click();
  await page.getByLabel("Name", { exact: true }).fill("pat-nightly");
  await page.getByLabel("Description").fill("<script>alert('x')</script> nightly export");
  // The duration fields appear only once the Expiry date toggle is on.
  assert.equal(await page.getByLabel("Duration", { exact: true }).isVisible(), false);
  await page.getByLabel("The token expires").check();
  await page.getByLabel("After a duration").check();
  await page.getByLabel("Duration", { exact: true }).fill("1");
  await page.getByLabel("Unit", { exact: true }).selectOption("days");
  await h.screenshot(page, "add-a-token");
  assert.deepEqual(await h.seriousViolations(page), []);
  await page.getByRole("button", { name: "Create" }).click();

  await page.getByRole("heading", { name: "Token value" }).waitFor();
  const value = (await page.locator("#token-value").textContent()).trim();
  assert.match(value, /^lkpat_[0-9A-Za-z]{36}$/);
  assert.match(await page.textContent("main"),
    /Copy the token value immediately and store it in a secure location\. It will not be displayed again\./);
  await h.screenshot(page, "token-created");
  assert.deepEqual(await h.seriousViolations(page), []);

  // The value authenticates, as Bearer and as the password of a pat_jwt_ Basic user.
  const me = `${run.server.base}/1.0/me`;
  assert.equal(await h.curlStatus(me, ["-H", `Authorization: Bearer ${value}`]), 200);
  assert.equal(await h.curlStatus(me, ["-u", `pat_jwt_nightly:${value}`]), 200);
  const pat = await h.api(run.server.base, "GET", "/1.0/me/identity/user/admin/token/pat-nightly", h.ADMIN);
  const lifetime = Date.parse(pat.body.expiresAt) - Date.now();
  assert.ok(Math.abs(lifetime - 86400e3) < 120e3, `expires in a day: ${pat.body.expiresAt}`);

  // Reloading never shows the value again; neither does going back.
  await page.reload();
  assert.equal(await page.locator("#token-value").count(), 0);
  assert.ok(!(await page.content()).includes(value));
  await page.goBack().catch(() => {});
  assert.ok(!(await page.content()).includes(value));
  await page.goto(`${run.server.base}/console/identities/users/admin/tokens`);
  const row = page.getByRole("row", { name: /pat-nightly/ });
  assert.match(await row.textContent(), /Active/);
  // What was typed is shown as text: the description's script never ran.
  assert.match(await row.textContent(), /<script>alert\('x'\)<\/script> nightly export/);
  assert.deepEqual(dialogs, []);
  await h.screenshot(page, "manage-tokens");

  await page.getByRole("link", { name: "Delete token pat-nightly" }).click();
  await page.getByRole("heading", { name: "Confirm the deletion" }).waitFor();
  await h.screenshot(page, "delete-a-token");
  assert.deepEqual(await h.seriousViolations(page), []);
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByText("Token pat-nightly is deleted").waitFor();
  assert.equal(await h.curlStatus(me, ["-H", `Authorization: Bearer ${value}`]), 401);
  await context.close();
});
