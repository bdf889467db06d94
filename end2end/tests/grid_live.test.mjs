// The DAG page's grid in a real browser against the real Airflow (JavaScript on): a new run
// appears in the grid by itself, and the groups the reader folded stay folded. The grid is
// HTML the server writes (server/src/read_model/run_grid_html.rs); the browser places a live
// update itself (app/src/components/drawn_html.rs), keeping what the reader did to it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signIn, watchForErrors, hasAirflow } from './harness.mjs';

let stack;
before(async () => {
  assert.ok(hasAirflow(), 'HANGAR_TEST_AIRFLOW_URL is not set: run make test, which starts Airflow');
  stack = await startStack();
});
after(async () => { await stack?.stop(); });

// Airflow's own example: groups section_1 and section_2 (section_2 holds inner_section_2).
const dagPath = '/t/examples/dags/main/example_task_group';

test('a new run joins the grid live and folded groups stay folded (with JavaScript)', async () => {
  const context = await stack.browser.newContext();
  const page = await context.newPage();
  const errors = watchForErrors(page, stack.hangarUrl);
  // Olga operates the examples team (end2end/fixtures/demo-teams.toml).
  await signIn(page, stack.hangarUrl, 'olga', '/t/examples');
  const hydrated = () => page.waitForSelector('#hangar[data-hydrated="true"]');
  const trigger = async () => {
    const tab = await context.newPage();
    await tab.goto(`${stack.hangarUrl}${dagPath}/trigger`);
    await tab.waitForSelector('#hangar[data-hydrated="true"]');
    await tab.click('[data-testid=trigger-submit]');
    await tab.waitForURL('**/dags/main/example_task_group/runs/**');
    await tab.close();
  };
  for (let i = 0; i < 90; i += 1) {
    if ((await page.goto(`${stack.hangarUrl}${dagPath}`)).status() === 200) break;
    await page.waitForTimeout(1000);
  }
  await hydrated();
  // Airflow creates its examples paused: a run of a paused DAG waits, with no tasks to show.
  if ((await page.locator('[data-testid=dag-state]').textContent()).trim() === 'Paused') {
    await page.click('[data-testid=pause-toggle]');
    await page.waitForFunction(() => document.querySelector('[data-testid=dag-state]')?.textContent === 'Active');
  }
  const columns = () => page.locator('[data-testid=grid-runs] a').count();
  const grouped = () => page.locator('details[data-group="section_1"]').count();
  if (!await grouped()) {
    // No run with its tasks yet (the integration tests trigger the examples; this suite may
    // run first).
    await trigger();
    for (let i = 0; i < 60 && !await grouped(); i += 1) {
      await page.waitForTimeout(1000);
      await page.goto(`${stack.hangarUrl}${dagPath}`);
    }
  }
  await hydrated();
  errors.length = 0;
  const before = await columns();
  assert.ok(before > 0, 'the grid shows the runs');
  assert.equal(await page.locator('details[data-group="section_1"][open]').count(), 1, 'groups start open');

  // The reader folds section_1, then a run is triggered elsewhere.
  await page.click('details[data-group="section_1"] > summary');
  assert.equal(await page.locator('details[data-group="section_1"][open]').count(), 0);
  const lastRun = await page.locator('[data-testid=grid-runs] a').last().getAttribute('data-run');
  let loads = 0;
  page.on('load', () => { loads += 1; });
  await trigger();
  // The newest run is the last column: wait for another one there.
  await page.waitForFunction(
    (last) => {
      const runs = [...document.querySelectorAll('[data-testid=grid-runs] a')].map((a) => a.dataset.run);
      return runs.length > 0 && runs.at(-1) !== last;
    },
    lastRun,
    { timeout: 30_000 },
  );
  assert.equal(loads, 0, 'the new run arrived without a reload');
  assert.equal(await page.locator('details[data-group="section_1"]').count(), 1, 'the group is still drawn');
  assert.equal(await page.locator('details[data-group="section_1"][open]').count(), 0, 'and still folded');
  assert.equal(await page.locator('details[data-group="section_2"][open]').count(), 1, 'the other group still open');
  assert.deepEqual(errors, []);
  await context.close();
});
