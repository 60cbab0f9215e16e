// What every browser test needs: a real `latchkey serve` on a fresh data directory, Debian's
// Chromium driven by Playwright, the account's ROOT user, axe-core, curl and screenshots.
"use strict";

const { spawn, execFile } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const assert = require("node:assert/strict");
const { before, after } = require("node:test");
const { chromium } = require("playwright-core");

const NIC = "lk0001-lk";
const ADMIN_PASSWORD = "browser admin password";
const SCREENSHOTS = path.resolve(__dirname, "..", "..", "target", "browser-screenshots");
// axe-core's source, evaluated through the DevTools protocol: the console's CSP refuses any
// script tag that is not its own, as it should.
const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A `latchkey serve` on a free loopback port with a fresh data directory. */
async function startServer(extraEnv = {}) {
  const binary = process.env.LATCHKEY_BIN;
  assert.ok(binary, "LATCHKEY_BIN names the latchkey binary");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-browser-"));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("LATCHKEY_")));
  Object.assign(env, {
    LATCHKEY_DATA_DIR: data,
    LATCHKEY_LISTEN: `127.0.0.1:${port}`,
    LATCHKEY_PUBLIC_URL: base,
    LATCHKEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...extraEnv,
  });
  const child = spawn(binary, ["serve"], { env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (chunk) => { log += chunk; });
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    base,
    log: () => log,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      fs.rmSync(data, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh server and a browser for the test file that calls it: both start before its first
 * test (then `ready(run)` runs, for what the tests need made through the API) and stop after
 * its last. The returned object gets `server` and `browser`.
 */
function serverAndBrowser(extraEnv = {}, ready = async () => {}) {
  const run = {};
  before(async () => {
    run.server = await startServer(extraEnv);
    run.browser = await launchBrowser();
    await ready(run);
  });
  after(async () => {
    await run.browser?.close();
    await run.server?.stop();
  });
  return run;
}

/** Debian's Chromium, headless, with the flags this machine needs. */
function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/** One API call as `auth` (`{ basic: [user, password] }` or `{ bearer }`). */
async function api(base, method, route, auth, body) {
  const headers = { "content-type": "application/json" };
  if (auth.basic) headers.authorization = "Basic " + Buffer.from(auth.basic.join(":")).toString("base64");
  if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
  const res = await fetch(base + route, { method, headers, body: body && JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const ADMIN = { basic: [`${NIC}/admin`, ADMIN_PASSWORD] };

/** The HTTP status curl gets for `url` with the extra arguments `args`. */
function curlStatus(url, args) {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...args, url], (err, out) => {
      if (err) reject(err); else resolve(Number(out));
    });
  });
}

/** Signs in through the sign-in page. */
async function signIn(page, base, user, password) {
  await page.goto(`${base}/console/`);
  await page.getByLabel("Account and login").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** axe-core's serious and critical violations on the page as it is now. */
async function seriousViolations(page) {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(async () => await window.axe.run(document));
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** A screenshot of the whole page, under target/browser-screenshots/. */
async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

module.exports = {
  NIC, ADMIN_PASSWORD, ADMIN, startServer, launchBrowser, serverAndBrowser, api, curlStatus, signIn,
  seriousViolations, screenshot,
};
