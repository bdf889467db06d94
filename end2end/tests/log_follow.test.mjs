// Following a running try's log in a real browser against the real Airflow (JavaScript on):
// the log viewer appends what the live stream sends, numbered and in order, below the
// page's own lines, without a reload. Without JavaScript the page is the same log, read
// again on reload (the examples crawler in console.test.mjs walks those pages).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signIn, watchForErrors, hasAirflow } from './harness.mjs';

let stack;
before(async () => {
  assert.ok(hasAirflow(), 'HANGAR_TEST_AIRFLOW_URL is not set: run make test, which starts Airflow');
  stack = await startStack();
});
after(async () => { await stack?.stop(); });

// Writes a line every half second for 40 s (end2end/airflow/dags/examples/hangar_log_tour.py).
const dagPath = '/t/examples/dags/main/hangar_log_tour';
const text = async (page, selector) => (await page.locator(selector).first().textContent()).trim();

test('a running try\'s log grows on screen without a reload (with JavaScript)', async () => {
  const context = await stack.browser.newContext();
  const page = await context.newPage();
  const errors = watchForErrors(page, stack.hangarUrl);
  // Olga operates the examples team (end2end/fixtures/demo-teams.toml).
  await signIn(page, stack.hangarUrl, 'olga', '/t/examples');
  const hydrated = () => page.waitForSelector('#hangar[data-hydrated="true"]');
  for (let i = 0; i < 90; i += 1) {
    if ((await page.goto(`${stack.hangarUrl}${dagPath}`)).status() === 200) break;
    await page.waitForTimeout(1000);
  }
  await hydrated();
  if (await text(page, '[data-testid=dag-state]') === 'Paused') {
    await page.click('[data-testid=pause-toggle]');
    await page.waitForFunction(() => document.querySelector('[data-testid=dag-state]')?.textContent === 'Active');
    await hydrated();
  }
  await page.click('[data-testid=trigger-open]');
  await page.click('[data-testid=trigger-submit]');
  await page.waitForURL('**/dags/main/hangar_log_tour/runs/**');
  const logPath = `${new URL(page.url()).pathname}/tasks/narrate`;

  // Once the try runs, its log page follows it.
  for (let i = 0; i < 120; i += 1) {
    await page.goto(`${stack.hangarUrl}${logPath}`);
    if (await page.locator('[data-testid=log-live]').count()) break;
    await page.waitForTimeout(1000);
  }
  await page.waitForSelector('[data-testid=log-live]', { timeout: 1000 });
  await hydrated();
  // The polling above met "not found" until the DAG and the try were synced; from here on,
  // nothing may go wrong.
  errors.length = 0;
  let loads = 0;
  page.on('load', () => { loads += 1; });
  const numbers = () => page.locator('[data-testid=log] .log-line')
    .evaluateAll((lines) => lines.map((line) => Number(line.id.slice(1))));
  const first = await numbers();
  await page.waitForFunction(
    (shown) => document.querySelectorAll('[data-testid=log] .log-line').length >= shown + 3,
    first.length,
    { timeout: 30_000 },
  );
  const grown = await numbers();
  assert.equal(loads, 0, 'the log grew without a reload');
  assert.deepEqual(grown.slice(0, first.length), first, 'the page\'s own lines stay where they were');
  assert.ok(grown.every((n, i) => i === 0 || n > grown[i - 1]), `numbered in order, each once: ${grown}`);
  const last = page.locator('[data-testid=log] .log-line').last();
  assert.match(await last.locator('.log-text').textContent(), /step \d+ of the tour|the tour is over/);
  assert.equal(await last.locator('a.log-n').getAttribute('href'), `#L${grown.at(-1)}`);
  assert.deepEqual(errors, []);
  await context.close();
});
