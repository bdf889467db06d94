// Starts the real pieces for a browser test: the test identity provider (oidc-provider) and the
// hangar binary on a fresh SQLite database, both on free loopback ports, plus Debian's Chromium.

import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function waitForLine(child, prefix, what) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start`)), 30000);
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const line = buffer.split('\n').find((l) => l.startsWith(prefix));
      if (line) { clearTimeout(timer); resolve(line.slice(prefix.length).trim()); }
    });
    child.on('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

async function waitForHttp(url) {
  for (let i = 0; i < 150; i += 1) {
    try { if ((await fetch(url)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} never became ready`);
}

// The real Airflow that `make test` starts, when there is one.
function airflowSection(catalogueInterval, extraBundles) {
  const url = process.env.HANGAR_TEST_AIRFLOW_URL;
  if (!url) return '';
  return `
[[airflow]]
name = "main"
base_url = "${url}"
username = "hangar"
password = "${process.env.HANGAR_TEST_AIRFLOW_PASSWORD}"
bundles = { team_a_dags = "team_a", team_a_repo = "team_a", team_b_dags = "team_b", examples_core = "examples", examples_standard = "examples", examples_hangar = "examples"${extraBundles ? `, ${extraBundles}` : ''} }
shared = ["shared_dags"]
${catalogueInterval ? `catalogue_interval = "${catalogueInterval}"` : ''}
`;
}

export const hasAirflow = () => Boolean(process.env.HANGAR_TEST_AIRFLOW_URL);

// Polls `check` once a second until it returns something truthy. When it gives up, the error
// carries what Hangar logged at warning level or above, the lines that say why a background
// step (a deploy, a sync) did not move: the log itself is gone with the stack's directory.
export async function eventually(what, check, seconds, stack) {
  for (let i = 0; i < seconds; i += 1) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const warnings = stack ? stack.hangarLog().replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => /\b(WARN|ERROR)\b/.test(l)) : [];
  throw new Error(`${what}: not within ${seconds} s`
    + (warnings.length ? `\nHangar's warnings and errors (last 40):\n${warnings.slice(-40).join('\n')}` : ''));
}

// Options: `extraConfig(dir)` returns TOML appended to Hangar's configuration (after the
// Airflow section); `catalogueInterval` makes Hangar re-read DAGs more often than its default;
// `extraBundles` adds entries to `bundles` (e.g. `team_a_extra = "team_a"`).
export async function startStack({ extraConfig, catalogueInterval, extraBundles } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-e2e-'));
  const hangarPort = await freePort();
  const hangarUrl = `http://127.0.0.1:${hangarPort}`;
  const secret = 'browser-test-secret';
  const children = [];

  const idp = spawn('node', [join(root, 'end2end/idp/server.mjs'), '--port', '0',
    '--keys', join(dir, 'keys.json'), '--client-secret', secret,
    '--redirect-uri', `${hangarUrl}/auth/callback`, '--post-logout-uri', `${hangarUrl}/auth/signed-out`],
  { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(idp);
  const issuer = await waitForLine(idp, 'IDP_READY ', 'the identity provider');

  writeFileSync(join(dir, 'hangar.toml'), `
[server]
listen = "127.0.0.1:${hangarPort}"
public_url = "${hangarUrl}"
site_root = "${process.env.HANGAR_SITE ?? join(root, 'target/site')}"
[database]
url = "sqlite://${join(dir, 'hangar.db')}"
[oidc]
issuer = "${issuer}"
client_id = "hangar"
client_secret = "${secret}"
${readFileSync(join(root, 'end2end/fixtures/demo-teams.toml'), 'utf8')}
${airflowSection(catalogueInterval, extraBundles)}
${extraConfig ? extraConfig(dir) : ''}`);
  // Hangar's log goes to a file, so tests can check what it does (and does not) say.
  const logFile = join(dir, 'hangar.log');
  const logFd = openSync(logFile, 'a');
  const hangar = spawn(process.env.HANGAR_BIN ?? join(root, 'target/debug/hangar'),
    ['serve', '--config', join(dir, 'hangar.toml')], { stdio: ['ignore', logFd, logFd] });
  children.push(hangar);
  await waitForHttp(`${hangarUrl}/readyz`).catch((error) => {
    throw new Error(`${error.message}\nHangar's log:\n${readFileSync(logFile, 'utf8')}`);
  });

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });

  return {
    dir,
    hangarUrl,
    issuer,
    browser,
    hangarLog: () => readFileSync(logFile, 'utf8'),
    async stop() {
      await browser.close();
      for (const child of children) child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Collects what a page reports as broken: console errors, uncaught exceptions, CSP violations.
export function watchForErrors(page, hangarUrl) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(`exception: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && page.url().startsWith(hangarUrl)) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

// Signs in through the provider's form, as a person would, starting from a Hangar URL.
export async function signIn(page, hangarUrl, user, path = '/') {
  await page.goto(`${hangarUrl}${path}`);
  await page.waitForSelector(`button[data-user="${user}"]`);
  await page.click(`button[data-user="${user}"]`);
  await page.waitForURL((url) => url.toString().startsWith(hangarUrl) && !url.pathname.startsWith('/auth/'));
}
