// Who owns a DAG, in a real browser against the real Airflow (JavaScript on and off): a
// dag_id that team_b's bundle takes over stays team_a's, with a banner on team_a's DAG page
// and nothing on team_b's; /platform lists the conflict and a platform admin assigns it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, signIn, watchForErrors, hasAirflow } from './harness.mjs';

let stack;
before(async () => {
  assert.ok(hasAirflow(), 'HANGAR_TEST_AIRFLOW_URL is not set: run make test, which starts Airflow');
  assert.ok(process.env.HANGAR_TEST_AIRFLOW_DAGS, 'HANGAR_TEST_AIRFLOW_DAGS is set by lib.sh');
  stack = await startStack({
    catalogueInterval: '5s',
    extraBundles: 'team_a_extra = "team_a", team_b_extra = "team_b"',
  });
});
after(async () => { await stack?.stop(); });

const bundle = (name) => join(process.env.HANGAR_TEST_AIRFLOW_DAGS, name);

function place(dagId, from, to) {
  rmSync(join(bundle(from), `${dagId}.py`), { force: true });
  writeFileSync(join(bundle(to), `${dagId}.py`), `from datetime import datetime

from airflow.sdk import dag, task


@dag(dag_id="${dagId}", schedule=None, start_date=datetime(2026, 1, 1), catchup=False)
def the_dag():
    @task
    def hello():
        print("hello from ${to}")

    hello()


the_dag()
`);
}

// Reloads `path` until `ready(page)` holds (Airflow parses, then Hangar syncs every 5 s).
async function until(page, path, ready, what) {
  for (let i = 0; i < 150; i += 1) {
    const response = await page.goto(`${stack.hangarUrl}${path}`);
    if (await ready(page, response)) return;
    await page.waitForTimeout(1000);
  }
  throw new Error(`never: ${what}`);
}

const hasBanner = async (page) => (await page.locator('[data-testid=ownership-conflict]').count()) > 0;

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';
  const dagId = `dup_dag_browser_${javaScriptEnabled ? 'js' : 'nojs'}`;

  test(`a taken-over dag_id stays with its team until a platform admin decides (${mode})`, async () => {
    const context = await stack.browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    const errors = watchForErrors(page, stack.hangarUrl);
    const dagPage = `/t/team_a/dags/main/${dagId}`;

    // team_a's bundle defines it first: team_a's, no banner.
    place(dagId, 'team_b_extra', 'team_a_extra');
    await signIn(page, stack.hangarUrl, 'carol', '/t/team_a');
    await until(page, dagPage, async (_, r) => r.status() === 200, `${dagId} listed for team_a`);
    assert.equal(await hasBanner(page), false);

    // Then team_b's: Airflow moves it, Hangar keeps it with team_a, with the banner.
    place(dagId, 'team_a_extra', 'team_b_extra');
    await until(page, dagPage, hasBanner, 'the conflict banner');
    assert.match(await page.locator('[data-testid=ownership-conflict]').innerText(), /Ownership conflict/);
    assert.equal(await page.locator('[data-testid=pause-toggle]').count(), 0, 'no pause while in conflict');
    assert.equal(await page.locator('[data-testid=trigger-open]').count(), 0, 'no trigger while in conflict');
    const teamB = await page.goto(`${stack.hangarUrl}/t/team_b/dags/main/${dagId}`);
    assert.equal(teamB.status(), 404, "team_b sees nothing of team_a's DAG");

    // A platform admin sees the conflict and assigns the DAG to team_b.
    const admin = await context.browser().newContext({ javaScriptEnabled });
    const adminPage = await admin.newPage();
    await signIn(adminPage, stack.hangarUrl, 'alice', '/platform');
    const row = `[data-testid=ownership-conflicts] tr[data-dag="${dagId}"]`;
    await adminPage.waitForSelector(row);
    assert.match(await adminPage.locator(`${row} [data-testid=conflict-reported]`).innerText(), /team_b_extra \(team_b\)/);
    if (javaScriptEnabled) await adminPage.waitForSelector('#hangar[data-hydrated="true"]');
    await adminPage.click(`${row} [data-testid=assign-owner]`);
    await adminPage.waitForSelector(row, { state: 'detached' });
    await admin.close();

    const moved = await page.goto(`${stack.hangarUrl}/t/team_b/dags/main/${dagId}`);
    assert.equal(moved.status(), 200, "now team_b's");
    assert.equal(await hasBanner(page), false);
    rmSync(join(bundle('team_b_extra'), `${dagId}.py`), { force: true });
    // The test waits on pages that answer 404 until Airflow's parse lands, and opens
    // team_b's 404 on purpose: the browser logs those loads; nothing else may fail.
    assert.deepEqual(errors.filter((e) => !e.includes('status of 404')), []);
    await context.close();
  });
}
