// The audit log viewer in a real browser: a team admin reads and exports their team's part
// (JavaScript off) and gets "not found" for anything wider; a platform admin filters the
// whole log, sees the chain verified and downloads the filtered set; an auditor reads it
// all; a team viewer has no audit log.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startStack, signIn, watchForErrors, hasAirflow } from './harness.mjs';

let stack;
before(async () => {
  assert.ok(hasAirflow(), 'HANGAR_TEST_AIRFLOW_URL is not set: run make test, which starts Airflow');
  stack = await startStack();
});
after(async () => { await stack?.stop(); });

const rows = (page) => page.locator('[data-testid=audit-log] tbody tr')
  .evaluateAll((trs) => trs.map((tr) => ({
    action: tr.dataset.action, team: tr.dataset.team, text: tr.innerText,
  })));

test('a team admin reads and exports their team\'s part, and nothing wider (JavaScript off)', async () => {
  const context = await stack.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  // Something of team_b's to find: bob creates a token for it.
  await signIn(page, stack.hangarUrl, 'bob', '/t/team_b/tokens');
  await page.fill('[data-testid=token-name]', 'nightly export');
  await page.click('[data-testid=create-token]');
  await page.waitForSelector('[data-testid=token-secret]');

  // The header leads to the team's log.
  await page.goto(`${stack.hangarUrl}/t/team_b`);
  assert.equal(await page.getAttribute('[data-testid=audit-link]', 'href'), '/t/team_b/audit');
  await page.click('[data-testid=audit-link]');
  await page.waitForURL('**/t/team_b/audit');
  const shown = await rows(page);
  assert.ok(shown.some((r) => r.action === 'token.create' && r.text.includes('nightly export')), JSON.stringify(shown));
  assert.ok(shown.every((r) => r.team === 'team_b'), 'only the team\'s entries');
  assert.equal(await page.locator('[data-testid=audit-team]').count(), 0, 'no team filter on a team\'s page');
  assert.equal(await page.locator('[data-testid=chain-status]').getAttribute('data-intact'), 'true');

  // The filter form is a plain GET.
  await page.selectOption('[data-testid=audit-action]', 'token.create');
  await page.click('[data-testid=audit-filter]');
  // (Without JavaScript the browser sends the empty fields too.)
  await page.waitForURL((url) => url.pathname === '/t/team_b/audit' && url.searchParams.get('action') === 'token.create');
  assert.ok((await rows(page)).every((r) => r.action === 'token.create'));

  // The export of the filtered set: the team's rows, no places in the chain.
  const csv = await page.request.get(`${stack.hangarUrl}${await page.getAttribute('[data-testid=export-csv]', 'href')}`);
  assert.equal(csv.status(), 200);
  const lines = (await csv.text()).trim().split('\n');
  assert.match(lines[0], /^at,actor_name,/);
  assert.ok(lines.length >= 2 && lines.slice(1).every((l) => l.includes(',team_b,token.create,')), lines.join('\n'));

  // Wider is not found, and names no other team.
  for (const path of ['/platform/audit', '/platform/audit/export?format=csv', '/t/team_a/audit', '/t/team_a/audit/export']) {
    const response = await page.goto(`${stack.hangarUrl}${path}`);
    assert.equal(response.status(), 404, path);
    assert.doesNotMatch(await page.content(), /team_a/, path);
  }
  await context.close();
});

test('a platform admin filters the whole log, sees the chain verified and downloads the filtered set', async () => {
  const context = await stack.browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const errors = watchForErrors(page, stack.hangarUrl);
  await signIn(page, stack.hangarUrl, 'alice', '/platform');
  await page.click('[data-testid=audit-link]');
  await page.waitForURL('**/platform/audit');
  await page.waitForSelector('#hangar[data-hydrated="true"]');
  assert.match(await page.innerText('[data-testid=chain-status]'), /verified intact/);
  const all = await rows(page);
  assert.ok(all.some((r) => r.action === 'auth.login' && r.text.includes('Bob')), 'bob\'s sign-in');
  assert.ok(all.some((r) => r.action === 'token.create' && r.team === 'team_b'), 'bob\'s token');

  // Filter by team, then by words, through the form.
  await page.selectOption('[data-testid=audit-team]', 'team_b');
  await page.click('[data-testid=audit-filter]');
  await page.waitForURL('**/platform/audit?team=team_b**');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=audit-log] tbody tr')]
    .every((tr) => tr.dataset.team === 'team_b'));
  await page.fill('[data-testid=audit-text]', 'NIGHTLY EXP');
  await page.click('[data-testid=audit-filter]');
  await page.waitForURL('**q=NIGHTLY**');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=audit-log] tbody tr').length === 1);
  assert.equal((await rows(page))[0].action, 'token.create');

  // The download is the filtered set, with its place in the chain.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('[data-testid=export-ndjson]'),
  ]);
  const entries = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(entries.length, 1);
  assert.equal(entries[0].action, 'token.create');
  assert.equal(entries[0].team, 'team_b');
  assert.match(entries[0].hash, /^[0-9a-f]{64}$/);
  assert.ok(entries[0].seq > 0);

  // A date that is not one is named, and nothing is shown.
  await page.goto(`${stack.hangarUrl}/platform/audit?from=tomorrow`);
  assert.match(await page.innerText('[data-testid=filter-error]'), /From:/);
  assert.equal((await rows(page)).length, 0);
  assert.deepEqual(errors, [], 'no script errors and no CSP violations');
  await context.close();
});

test('an auditor reads the whole log; a team viewer has none (JavaScript off)', async () => {
  const context = await stack.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, stack.hangarUrl, 'erin', '/platform/audit');
  const shown = await rows(page);
  assert.ok(shown.some((r) => r.team === 'team_b') && shown.some((r) => r.action === 'audit.export'));
  assert.equal(await page.locator('section.audit form[method=post]').count(), 0, 'nothing to change');
  const ndjson = await page.request.get(`${stack.hangarUrl}/platform/audit/export?action=audit.export`);
  const exported = (await ndjson.text()).trim().split('\n').map((l) => JSON.parse(l));
  // The two exports above, and this one.
  assert.equal(exported.length, 3);
  assert.ok(exported.every((e) => e.action === 'audit.export'));
  await context.close();

  const viewerContext = await stack.browser.newContext({ javaScriptEnabled: false });
  const viewer = await viewerContext.newPage();
  await signIn(viewer, stack.hangarUrl, 'dave', '/t/team_a');
  assert.equal(await viewer.locator('[data-testid=audit-link]').count(), 0);
  const response = await viewer.goto(`${stack.hangarUrl}/t/team_a/audit`);
  assert.equal(response.status(), 404);
  await viewerContext.close();
});
