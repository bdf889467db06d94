// The team DAG list in a real browser against the real Airflow (JavaScript on and off):
// a team sees its own and the shared DAGs only, search works, and switching team keeps
// the user on the DAG list.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signIn, watchForErrors, hasAirflow } from './harness.mjs';

let stack;
before(async () => {
  assert.ok(hasAirflow(), 'HANGAR_TEST_AIRFLOW_URL is not set: run make test, which starts Airflow');
  stack = await startStack();
});
after(async () => { await stack?.stop(); });

const listed = async (page) => page.locator('[data-testid=dag-list] tbody tr').evaluateAll(
  (rows) => rows.map((r) => r.getAttribute('data-dag')),
);

// The first sync runs at start-up; the dag-processor may still be parsing.
async function openDags(page, team) {
  for (let i = 0; i < 60; i += 1) {
    await page.goto(`${stack.hangarUrl}/t/${team}/dags`);
    if ((await listed(page)).length >= 2) return;
    await page.waitForTimeout(1000);
  }
  throw new Error('the DAG list stayed empty');
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`a team's DAGs, search, and a team switch that keeps the page (${mode})`, async () => {
    const context = await stack.browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    const errors = watchForErrors(page, stack.hangarUrl);
    await signIn(page, stack.hangarUrl, 'carol', '/t/team_a');
    await openDags(page, 'team_a');
    assert.deepEqual(await listed(page), ['shared_housekeeping', 'team_a_etl', 'team_a_flaky']);
    assert.doesNotMatch(await page.content(), /team_b_report/);

    if (javaScriptEnabled) await page.waitForSelector('#hangar[data-hydrated="true"]');
    await page.fill('[data-testid=dag-search]', 'flaky');
    await page.click('.filters button');
    await page.waitForURL('**q=flaky**');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=dag-list] tbody tr').length === 1);
    assert.deepEqual(await listed(page), ['team_a_flaky']);

    await page.goto(`${stack.hangarUrl}/t/team_a/dags`);
    if (javaScriptEnabled) await page.waitForSelector('#hangar[data-hydrated="true"]');
    await page.click('[data-testid=team-switcher] summary');
    await page.click('[data-testid=team-switcher] a[data-team="team_b"]');
    await page.waitForURL('**/t/team_b/dags');
    await page.waitForFunction(() => document.querySelector('[data-dag="team_b_report"]'));
    assert.deepEqual(await listed(page), ['shared_housekeeping', 'team_b_report']);
    assert.deepEqual(errors, []);
    await context.close();
  });
}
