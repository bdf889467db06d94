// Acting on a team's DAG in a real browser against the real Airflow, with JavaScript on and
// off: pause and unpause, trigger with a run configuration and watch the run finish, read a
// task's log. With JavaScript the run page updates live (no reload); without it, the forms
// post plainly and a reload shows the same data.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signIn, watchForErrors, hasAirflow } from './harness.mjs';

let stack;
before(async () => {
  assert.ok(hasAirflow(), 'HANGAR_TEST_AIRFLOW_URL is not set: run make test, which starts Airflow');
  stack = await startStack();
});
after(async () => { await stack?.stop(); });

const dagPath = '/t/team_a/dags/main/team_a_etl';
const text = async (page, selector) => (await page.locator(selector).first().textContent()).trim();

// The first sync runs at start-up; the dag-processor may still be parsing.
async function openDag(page) {
  for (let i = 0; i < 60; i += 1) {
    const response = await page.goto(`${stack.hangarUrl}${dagPath}`);
    if (response.status() === 200) return;
    await page.waitForTimeout(1000);
  }
  throw new Error('the DAG never appeared');
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`pause, unpause, trigger, watch the run and read its log (${mode})`, async () => {
    const context = await stack.browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    const errors = watchForErrors(page, stack.hangarUrl);
    await signIn(page, stack.hangarUrl, 'carol', '/t/team_a');
    await openDag(page);
    const hydrated = async () => {
      if (javaScriptEnabled) await page.waitForSelector('#hangar[data-hydrated="true"]');
    };
    await hydrated();

    // Pause, then unpause: the page says what Airflow now says.
    assert.equal(await text(page, '[data-testid=dag-state]'), 'Active');
    await page.click('[data-testid=pause-toggle]');
    await page.waitForFunction(() => document.querySelector('[data-testid=dag-state]')?.textContent === 'Paused');
    await hydrated();
    assert.equal(await text(page, '[data-testid=pause-toggle]'), 'Unpause');
    await page.click('[data-testid=pause-toggle]');
    await page.waitForFunction(() => document.querySelector('[data-testid=dag-state]')?.textContent === 'Active');
    await hydrated();

    await page.click('[data-testid=trigger-open]');
    if (javaScriptEnabled) {
      // The configuration is checked as it is typed; nothing is sent while it is wrong.
      await page.fill('[data-testid=trigger-conf]', '{"rows": ');
      await page.waitForSelector('[data-testid=trigger-problem]');
      assert.ok(await page.isDisabled('[data-testid=trigger-submit]'));
    }
    await page.fill('[data-testid=trigger-conf]', '{"rows": 2}');
    await page.fill('[data-testid=trigger-note]', `browser test ${mode}`);
    // With JavaScript, a second tab on the team's run list, open before the trigger, shows
    // the new run by itself (its rows arrived as the server's HTML; the browser writes the
    // new ones).
    let runsTab = null;
    let runsTabLoads = 0;
    if (javaScriptEnabled) {
      runsTab = await context.newPage();
      await runsTab.goto(`${stack.hangarUrl}/t/team_a/runs`);
      await runsTab.waitForSelector('#hangar[data-hydrated="true"]');
      runsTab.on('load', () => { runsTabLoads += 1; });
    }
    await page.click('[data-testid=trigger-submit]');

    let fullLoads = 0;
    if (javaScriptEnabled) {
      // The new run's page opens in place and then follows the run by itself.
      await page.waitForURL('**/t/team_a/dags/main/team_a_etl/runs/**');
      const runId = decodeURIComponent(new URL(page.url()).pathname.split('/runs/')[1]);
      await runsTab.waitForSelector(`[data-run="${runId}"] [data-state]`, { timeout: 30_000 });
      assert.equal(runsTabLoads, 0, 'the run list showed the new run without a reload');
      assert.ok(await runsTab.locator(`[data-run="${runId}"] [data-testid=time]`).count(), 'with its time');
      await runsTab.close();
      page.on('load', () => { fullLoads += 1; });
      await page.waitForSelector('[data-testid=run-state] [data-state=success]', { timeout: 90_000 });
      assert.equal(fullLoads, 0, 'the run reached success on screen without a reload');
    } else {
      // Back on the DAG page; the newest run is the last column of the grid.
      await page.waitForURL(`**${dagPath}`);
      const runLinks = page.locator('[data-testid=grid-runs] a');
      const href = await runLinks.nth((await runLinks.count()) - 1).getAttribute('href');
      for (let i = 0; i < 90; i += 1) {
        await page.goto(`${stack.hangarUrl}${href}`);
        if (await page.locator('[data-testid=run-state] [data-state=success]').count()) break;
        await page.waitForTimeout(1000);
      }
      await page.waitForSelector('[data-testid=run-state] [data-state=success]', { timeout: 1000 });
    }
    assert.deepEqual(
      await page.locator('[data-testid=task-list] [data-task]').evaluateAll((rows) => rows.map((r) => r.dataset.task)).then((t) => t.sort()),
      ['extract', 'load', 'transform'],
    );

    // The log, fetched from Airflow, with what the task printed.
    await page.click('[data-testid=task-list] [data-task=load] a');
    await page.waitForSelector('[data-testid=log]');
    const log = await text(page, '[data-testid=log]');
    assert.match(log, /loaded 3 rows/);
    // Airflow names every bundle in every task log; another team's show masked, visibly.
    assert.ok(log.includes('‹other team›'), 'the mask is shown');
    assert.ok(!log.includes('team_b_dags'), "team_b's bundle name reached team_a");
    assert.deepEqual(errors, []);
    await context.close();
  });
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`a team admin creates a pool, sees its usage bar, and deletes it (${mode})`, async () => {
    const name = `browser_pool_${javaScriptEnabled ? 'js' : 'nojs'}_${Date.now()}`;
    const context = await stack.browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    const errors = watchForErrors(page, stack.hangarUrl);
    await signIn(page, stack.hangarUrl, 'carol', '/t/team_b/pools'); // admin of team_b
    const hydrated = async () => {
      if (javaScriptEnabled) await page.waitForSelector('#hangar[data-hydrated="true"]');
    };
    await hydrated();
    await page.click('[data-testid=pool-create-open]');
    await page.fill('[data-testid=pool-name]', name);
    await page.fill('[data-testid=pool-new-slots]', '6');
    await page.click('[data-testid=pool-create]');
    const row = `tr[data-pool="${name}"]`;
    await page.waitForSelector(row);
    // A fresh pool: all six slots open, drawn as one full-width segment.
    assert.equal(await page.getAttribute(`${row} [data-testid=pool-bar]`, 'aria-label'), '6 open');
    assert.equal(await page.getAttribute(`${row} .segment.open`, 'width'), '100.00');
    await hydrated();

    await page.click(`${row} [data-testid=pool-edit]`);
    await page.click(`${row} [data-testid=pool-delete]`);
    await page.waitForSelector(row, { state: 'detached' });
    assert.deepEqual(errors, []);
    await context.close();
  });
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`a connection's password goes to Airflow and appears in no page, answer or log (${mode})`, async () => {
    const id = `browser_conn_${javaScriptEnabled ? 'js' : 'nojs'}_${Date.now()}`;
    const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;
    const context = await stack.browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    const errors = watchForErrors(page, stack.hangarUrl);
    // Every answer Hangar gives this browser, to search for the password afterwards.
    const bodies = [];
    page.on('response', async (response) => {
      if (response.url().startsWith(stack.hangarUrl)) bodies.push(await response.text().catch(() => ''));
    });
    await signIn(page, stack.hangarUrl, 'carol', '/t/team_a/connections'); // author of team_a
    if (javaScriptEnabled) await page.waitForSelector('#hangar[data-hydrated="true"]');
    await page.click('[data-testid=connection-create-open]');
    // The new-connection form's own fields: rows of connections other tests left in the
    // team's Airflow carry (hidden) edit forms with the same fields before it.
    const form = '.connection-create';
    await page.fill(`${form} [data-testid=connection-id]`, id);
    await page.fill(`${form} [data-testid=connection-type]`, 'postgres');
    await page.fill(`${form} [data-testid=connection-login]`, 'etl');
    await page.fill(`${form} [data-testid=connection-password]`, password);
    await page.click(`${form} [data-testid=connection-create]`);
    const row = `tr[data-connection="${id}"]`;
    await page.waitForSelector(row);
    assert.equal(await text(page, `${row} [data-testid=password-state]`), 'set');

    // Reload the page and open the edit form too: the password is in none of it.
    await page.goto(`${stack.hangarUrl}/t/team_a/connections`);
    await page.click(`${row} [data-testid=connection-edit]`);
    assert.equal(await page.inputValue(`${row} [data-testid=connection-password]`), '');
    await page.click(`${row} [data-testid=connection-delete]`);
    await page.waitForSelector(row, { state: 'detached' });
    await page.waitForTimeout(200);
    assert.ok(bodies.length > 3);
    for (const body of bodies) assert.ok(!body.includes(password), 'a Hangar response held the password');
    assert.ok(!(await page.content()).includes(password));
    assert.match(stack.hangarLog(), /served/, 'the log is being written');
    assert.ok(!stack.hangarLog().includes(password), "Hangar's log held the password");
    assert.deepEqual(errors, []);
    await context.close();
  });
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`a variable's value stays hidden until an author reveals it (${mode})`, async () => {
    const key = `browser_var_${javaScriptEnabled ? 'js' : 'nojs'}_${Date.now()}`;
    const value = `value-${Math.random().toString(36).slice(2)}`;
    const context = await stack.browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    const errors = watchForErrors(page, stack.hangarUrl);
    const bodies = [];
    page.on('response', async (response) => {
      if (response.url().startsWith(stack.hangarUrl)) bodies.push(await response.text().catch(() => ''));
    });
    await signIn(page, stack.hangarUrl, 'carol', '/t/team_a/variables'); // author of team_a
    const hydrated = async () => {
      if (javaScriptEnabled) await page.waitForSelector('#hangar[data-hydrated="true"]');
    };
    await hydrated();
    await page.click('[data-testid=variable-create-open]');
    await page.fill('[data-testid=variable-key]', key);
    await page.fill('[data-testid=variable-value]', value);
    await page.fill('[data-testid=variable-description]', 'made in the browser');
    await page.click('[data-testid=variable-create]');
    const row = `tr[data-variable="${key}"]`;
    await page.waitForSelector(row);
    await hydrated();
    // Listed with its description; the value is nowhere on the page, nor in any answer
    // other than the form post that carried it.
    assert.ok(!(await page.content()).includes(value));
    const before = bodies.length;

    await page.click(`${row} [data-testid=variable-reveal]`);
    if (javaScriptEnabled) {
      await page.waitForSelector(`${row} [data-testid=variable-revealed]`);
      assert.equal(await text(page, `${row} [data-testid=variable-revealed]`), value);
      assert.ok(bodies.length > before);
      await page.click(`${row} [data-testid=variable-hide]`);
      await page.waitForSelector(`${row} [data-testid=variable-revealed]`, { state: 'detached' });
    } else {
      // Without JavaScript the reveal is a form post (never a link a cross-site page could
      // make), answered by a page of its own that is not kept by the browser's cache.
      await page.waitForSelector('[data-testid=variable-revealed]');
      assert.equal(await text(page, '[data-testid=variable-revealed]'), value);
      assert.ok(bodies.length > before);
      await page.click('a:has-text("Back")');
      await page.waitForSelector(row);
    }
    assert.ok(!(await page.content()).includes(value));
    await hydrated();

    await page.click(`${row} [data-testid=variable-edit]`);
    await page.click(`${row} [data-testid=variable-delete]`);
    await page.waitForSelector(row, { state: 'detached' });
    assert.ok(!stack.hangarLog().includes(value), "Hangar's log held the value");
    assert.deepEqual(errors, []);
    await context.close();
  });
}
