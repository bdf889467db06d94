// The platform overview in a real browser against the real Airflow: a platform admin sees
// every team with its figures and Airflow's health, sorts, watches a change arrive by
// itself and opens a team; a team-only user gets "not found" for every platform route; an
// auditor sees everything and can change nothing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signIn, watchForErrors, hasAirflow } from './harness.mjs';

let stack;
before(async () => {
  assert.ok(hasAirflow(), 'HANGAR_TEST_AIRFLOW_URL is not set: run make test, which starts Airflow');
  stack = await startStack();
});
after(async () => { await stack?.stop(); });

const rowTeams = (page) => page.locator('[data-testid=platform-teams] tbody tr')
  .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-team')));
const cell = (page, team, testid) => page.locator(`tr[data-team="${team}"] [data-testid=${testid}]`).innerText();

// The first sync and health reading run at start-up; the DAG processor may still be parsing.
// Returns team_a's active DAGs: two from its folder bundle, three once the deploy suite has
// deployed `team_a_publish` to its git bundle.
async function openOverview(page) {
  for (let i = 0; i < 90; i += 1) {
    await page.goto(`${stack.hangarUrl}/platform`);
    const active = Number((await cell(page, 'team_a', 'dags')).match(/^(\d+) active/)?.[1] ?? 0);
    const health = await page.locator('[data-testid=environment-health] [data-component=scheduler]').count();
    if (active >= 2 && health > 0) return active;
    await page.waitForTimeout(1000);
  }
  throw new Error('the overview never showed team_a\'s DAGs and Airflow\'s health');
}

test('a platform admin sees every team, sorts, sees a change live and opens a team', async () => {
  const context = await stack.browser.newContext();
  const page = await context.newPage();
  const errors = watchForErrors(page, stack.hangarUrl);
  await signIn(page, stack.hangarUrl, 'alice', '/platform');
  const active = await openOverview(page);
  // The test Airflow's third team owns Airflow's example DAGs (over a hundred, all paused).
  assert.deepEqual(await rowTeams(page), ['examples', 'team_a', 'team_b']);
  assert.match(await cell(page, 'team_a', 'dags'), new RegExp(`^${active} active · 0 paused`));
  assert.match(await cell(page, 'team_b', 'dags'), /^1 active · 0 paused/);
  assert.match(await cell(page, 'team_a', 'sync'), /main: in sync/);
  // Airflow's own health, read by Hangar's sync: metadatabase and scheduler are up.
  const health = page.locator('[data-testid=environment-health]');
  assert.match(await health.innerText(), /Airflow 3\.3\.2/);
  assert.equal(await health.locator('[data-component=metadatabase]').getAttribute('data-status'), 'healthy');
  assert.equal(await health.locator('[data-component=scheduler]').getAttribute('data-status'), 'healthy');

  // Sorting is a link: by DAG count, biggest first, then the other way round.
  await page.waitForSelector('#hangar[data-hydrated="true"]');
  await page.click('th a[data-sort=dags]');
  await page.waitForURL('**/platform?sort=dags&dir=desc**');
  assert.deepEqual(await rowTeams(page), ['examples', 'team_a', 'team_b']);
  // The header's link turns to ascending once the sorted page has replaced the old one
  // (clicked before that, the old link would ask for descending again).
  await page.waitForSelector('th a[data-sort=dags][href*="dir=asc"]');
  await page.click('th a[data-sort=dags]');
  await page.waitForURL('**sort=dags&dir=asc**');
  await page.waitForFunction(() => document.querySelector('[data-testid=platform-teams] tbody tr')?.dataset.team === 'team_b');

  // carol pauses a team_a DAG elsewhere; the open overview counts it without a reload.
  const carolContext = await stack.browser.newContext();
  const carol = await carolContext.newPage();
  await signIn(carol, stack.hangarUrl, 'carol', '/t/team_a/dags/main/team_a_flaky');
  await carol.waitForSelector('#hangar[data-hydrated="true"]');
  await carol.click('[data-testid=pause-toggle]');
  await carol.waitForFunction(() => document.querySelector('[data-testid=dag-state]')?.textContent === 'Paused');
  try {
    await page.waitForFunction(
      (expected) => document.querySelector('tr[data-team="team_a"] [data-testid=dags]')?.innerText.startsWith(expected),
      `${active - 1} active · 1 paused`, { timeout: 15000 },
    );
  } finally {
    await carol.waitForSelector('#hangar[data-hydrated="true"]');
    await carol.click('[data-testid=pause-toggle]');
    await carol.waitForFunction(() => document.querySelector('[data-testid=dag-state]')?.textContent === 'Active');
    await carolContext.close();
  }

  // A click on a team opens that team's view.
  await page.click('tr[data-team="team_b"] a[data-testid=open-team]');
  await page.waitForURL('**/t/team_b');
  assert.deepEqual(errors, [], 'no script errors and no CSP violations');
  await context.close();
});

test('a team-only user gets not found for every platform route', async () => {
  const context = await stack.browser.newContext();
  const page = await context.newPage();
  await signIn(page, stack.hangarUrl, 'bob', '/t/team_b');
  for (const path of ['/platform', '/platform?sort=failed&dir=desc', '/platform/events',
    '/platform/audit', '/platform/audit/export?format=csv', '/platform/access']) {
    const response = await page.goto(`${stack.hangarUrl}${path}`).catch((error) => error);
    // An export would be a download; a refusal is a page.
    assert.ok(!(response instanceof Error), `${path}: ${response}`);
    assert.equal(response.status(), 404, path);
  }
  // The server function behind the page, called directly.
  const call = await page.request.post(`${stack.hangarUrl}/api/platform_overview`, {
    headers: { Origin: stack.hangarUrl, 'Content-Type': 'application/x-www-form-urlencoded' },
    data: '',
  });
  assert.equal(call.status(), 404);
  assert.doesNotMatch(await call.text(), /team_a/, 'no other team named');
  await context.close();
});

test('an auditor sees every team but can change nothing (JavaScript off)', async () => {
  const context = await stack.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, stack.hangarUrl, 'erin', '/platform');
  await openOverview(page);
  assert.deepEqual(await rowTeams(page), ['examples', 'team_a', 'team_b']);
  assert.equal(await page.locator('section.platform form').count(), 0, 'the overview offers no action');

  // The team's pages the overview links to show no action to an auditor …
  await page.goto(`${stack.hangarUrl}/t/team_a/dags/main/team_a_flaky`);
  assert.equal(await page.locator('[data-testid=dag-state]').innerText(), 'Active');
  assert.equal(await page.locator('[data-testid=pause-toggle]').count(), 0);
  assert.equal(await page.locator('[data-testid=trigger-open]').count(), 0);
  // … and the server refuses one sent by hand, as if there were nothing to pause.
  const call = await page.request.post(`${stack.hangarUrl}/api/set_dag_paused`, {
    headers: { Origin: stack.hangarUrl, 'Content-Type': 'application/x-www-form-urlencoded' },
    data: 'team=team_a&environment=main&dag_id=team_a_flaky&paused=true',
  });
  assert.equal(call.status(), 404);
  await page.goto(`${stack.hangarUrl}/t/team_a/dags/main/team_a_flaky`);
  assert.equal(await page.locator('[data-testid=dag-state]').innerText(), 'Active');
  await context.close();
});
