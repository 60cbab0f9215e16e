// Sessions as a person meets them: a refused page for a user the policies do not allow, and
// sign-out, disabling and a password change ending the session (the old cookie gets the
// sign-in page).
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("./harness");

const PASSWORD = "Corr3ct-Horse-Battery!";

// Everything the server logs, down to debug, is searched for the session id below.
const run = h.serverAndBrowser({ LATCHKEY_LOG: "debug" }, async ({ server }) => {
  for (const [login, group] of [["reader", undefined], ["bob", "ADMIN"]]) {
    const body = { login, email: `${login}@example.com`, password: PASSWORD, description: "" };
    if (group) body.group = group;
    const made = await h.api(server.base, "POST", "/1.0/me/identity/user", h.ADMIN, body);
    assert.equal(made.status, 200, JSON.stringify(made.body));
  }
});

/** Whether the page the old cookies get is the sign-in page. */
async function sentToSignIn(page) {
  await page.goto(`${run.server.base}/console/identities/users`);
  return page.url().includes("/console/sign-in");
}

test("the sign-in page is accessible and a wrong password is told", async () => {
  const page = await run.browser.newPage();
  await h.signIn(page, run.server.base, `${h.NIC}/admin`, "not the password");
  await page.getByText("The account, login or password is not right.").waitFor();
  await h.screenshot(page, "sign-in");
  assert.deepEqual(await h.seriousViolations(page), []);
  await page.close();
});

test("a user the policies do not allow sees a refusal naming the action, not the data", async () => {
  const page = await run.browser.newPage();
  await h.signIn(page, run.server.base, `${h.NIC}/reader`, PASSWORD);
  await page.getByRole("heading", { name: "Not allowed" }).waitFor();
  const text = await page.textContent("main");
  assert.match(text, /account:apiovh:me\/identity\/user\/get/);
  assert.ok(!text.includes("admin@example.com"));
  await h.screenshot(page, "refused");
  assert.deepEqual(await h.seriousViolations(page), []);
  await page.close();
});

test("sign-out ends the session: the old cookie gets the sign-in page", async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  await h.signIn(page, run.server.base, `${h.NIC}/admin`, h.ADMIN_PASSWORD);
  await page.getByRole("heading", { name: "Local users" }).waitFor();
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "latchkey_session");
  assert.ok(session && session.httpOnly && session.sameSite === "Strict", JSON.stringify(cookies));
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("You are signed out.").waitFor();
  const replay = await run.browser.newContext();
  await replay.addCookies(cookies);
  assert.ok(await sentToSignIn(await replay.newPage()));
  await replay.close();
  assert.ok(run.server.log().length > 0, "the server logged");
  assert.ok(!run.server.log().includes(session.value), "the session id is in no log line");
  assert.ok(!run.server.log().includes(session.value.slice("lkses_".length, 20)));
  await context.close();
});

test("disabling the user and changing its password end its session", async () => {
  const bob = await run.browser.newContext();
  const page = await bob.newPage();
  await h.signIn(page, run.server.base, `${h.NIC}/bob`, PASSWORD);
  await page.getByRole("heading", { name: "Local users" }).waitFor();

  const changed = await h.api(run.server.base, "PUT", "/1.0/me/identity/user/bob", h.ADMIN,
    { password: "An0ther-Horse-Battery!" });
  assert.equal(changed.status, 200);
  assert.ok(await sentToSignIn(page), "a password change ends the session");

  await h.signIn(page, run.server.base, `${h.NIC}/bob`, "An0ther-Horse-Battery!");
  await page.getByRole("heading", { name: "Local users" }).waitFor();
  const admin = await run.browser.newContext();
  const adminPage = await admin.newPage();
  await h.signIn(adminPage, run.server.base, `${h.NIC}/admin`, h.ADMIN_PASSWORD);
  await adminPage.getByRole("button", { name: "Disable bob" }).click();
  await adminPage.getByText("User bob is disabled").waitFor();
  assert.ok(await sentToSignIn(page), "disabling the user ends the session");
  await adminPage.getByRole("button", { name: "Enable bob" }).click();
  await adminPage.getByText("User bob is enabled").waitFor();
  await admin.close();
  await bob.close();
});
