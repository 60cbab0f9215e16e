// The Keystone page: the account's projects with their role grants, and Download OpenRC giving
// a file that the real `openstack` client (from PyPI) accepts for `openstack token issue`.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { execFile } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const h = require("./harness");

const run = h.serverAndBrowser();

function execute(command, args, env) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} failed: ${stderr}`)); else resolve(stdout);
    });
  });
}

test("Download OpenRC gives a file that `openstack token issue` accepts", async () => {
  const openstack = process.env.OPENSTACK_BIN;
  assert.ok(openstack && fs.existsSync(openstack), "OPENSTACK_BIN names the openstack client");
  const context = await run.browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await h.signIn(page, run.server.base, `${h.NIC}/admin`, h.ADMIN_PASSWORD);
  await page.getByRole("link", { name: "Keystone", exact: true }).click();
  const row = page.getByRole("row", { name: /admin/ });
  assert.match(await row.textContent(), /admin to user admin/);
  await h.screenshot(page, "keystone");
  assert.deepEqual(await h.seriousViolations(page), []);

  await page.getByLabel("Project").selectOption({ label: "admin" });
  await page.getByLabel("Region").selectOption("RegionOne");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download OpenRC" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "openrc-RegionOne.sh");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-openrc-"));
  const file = path.join(dir, "openrc.sh");
  await download.saveAs(file);
  const text = fs.readFileSync(file, "utf8");
  assert.match(text, new RegExp(`export OS_AUTH_URL='${run.server.base}/v3/'`));
  assert.ok(!text.includes(h.ADMIN_PASSWORD), "the file holds no password");

  const env = { PATH: process.env.PATH, HOME: dir, OS_PASSWORD: h.ADMIN_PASSWORD };
  const out = await execute("bash", ["-c", `. '${file}' && '${openstack}' token issue -f json`], env);
  const issued = JSON.parse(out);
  assert.ok(issued.id, out);
  assert.ok(issued.project_id, out);
  fs.rmSync(dir, { recursive: true, force: true });
  await context.close();
});
