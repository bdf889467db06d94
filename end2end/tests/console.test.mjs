// The DAG author's console against Airflow's own example DAGs (team `examples` in the test
// Airflow), with JavaScript on and off: a crawler walks the links from the team's DAG list
// and fails on any 404 or 5xx; every page it visits must fit at 1280 and 1920 px (no
// horizontal overflow); the graph, Gantt and code views render; times show the browser's
// zone; switching team from a run page lands on the other team's runs list.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signIn, watchForErrors, hasAirflow } from './harness.mjs';

// Olga belongs to the examples team and team B (end2end/idp/server.mjs, demo-teams.toml).
const USER = 'olga';
const START = '/t/examples/dags?per=100&q=example_';
// A bound on the walk: enough to reach every kind of page (DAG, graph, code, run, Gantt,
// task, mapped task, try) of the example DAGs, without walking every log of every run.
const MAX_PAGES = { js: 60, nojs: 160 };
// Downloads the walk checks answer (each streams a whole task log from Airflow or the spool).
const MAX_DOWNLOADS = 5;
const WIDTHS = [1280, 1920];

// Links the crawler follows: the examples team's pages, never an action or a download.
function followable(url, origin) {
  if (url.origin !== origin) return false;
  if (!url.pathname.startsWith('/t/examples')) return false;
  if (url.pathname.endsWith('/download') || url.pathname.includes('/api/')) return false;
  // The same page with other query strings (sorting, paging, folding) is walked once.
  return true;
}

function key(url) {
  // Query strings that only re-order or re-fold a page are one page for the walk.
  const u = new URL(url);
  for (const name of ['sort', 'dir', 'fold', 'open', 'follow', 'level', 'q', 'search']) {
    u.searchParams.delete(name);
  }
  return u.pathname + (u.searchParams.toString() ? `?${u.searchParams}` : '');
}

// The page's overflow, if any, naming the deepest element that sticks out (what to fix).
async function overflow(page) {
  return page.evaluate(() => {
    const root = document.documentElement;
    if (root.scrollWidth <= root.clientWidth) return null;
    let culprit = null;
    for (const element of document.body.querySelectorAll('*')) {
      if (element.getBoundingClientRect().right > root.clientWidth + 1) culprit = element;
    }
    const name = culprit
      ? `${culprit.tagName.toLowerCase()}${culprit.className && typeof culprit.className === 'string' ? `.${culprit.className.trim().replace(/\s+/g, '.')}` : ''}`
      : 'unknown';
    return `${root.scrollWidth} > ${root.clientWidth} (${name})`;
  });
}

// What kind of page a URL is (`/dags/*/*/graph`), so the walk reaches every kind.
function kindOf(url) {
  return new URL(url).pathname.replace(/^\/t\/examples/, '').replace(/\/[^/]+/g, (part) => (
    ['/dags', '/runs', '/tasks', '/graph', '/gantt', '/code', '/trigger'].includes(part) ? part : '/*'));
}

// The next page to visit: the first queued one of the kind visited least so far. A plain
// breadth-first walk spent its whole bound on the DAG list's first links (60 DAG pages)
// and never reached a graph.
function takeNext(queue, visits) {
  let best = 0;
  let fewest = Infinity;
  for (let i = 0; i < queue.length && fewest > 0; i += 1) {
    const count = visits.get(kindOf(queue[i])) ?? 0;
    if (count < fewest) { best = i; fewest = count; }
  }
  return queue.splice(best, 1)[0];
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'js' : 'nojs';
  test(`the examples team's pages answer and fit (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, { skip: !hasAirflow() && 'needs the test Airflow', timeout: 300_000 }, async () => {
    const stack = await startStack();
    try {
      const context = await stack.browser.newContext({
        javaScriptEnabled,
        viewport: { width: WIDTHS[0], height: 900 },
        timezoneId: 'Asia/Tokyo',
      });
      const page = await context.newPage();
      const errors = watchForErrors(page, stack.hangarUrl);
      await signIn(page, stack.hangarUrl, USER, '/t/examples');

      // The catalogue sync reads the example DAGs within a few syncs of start.
      for (let i = 0; i < 60; i += 1) {
        await page.goto(`${stack.hangarUrl}${START}`);
        if (await page.locator('[data-dag=example_task_group]').count()) break;
        await page.waitForTimeout(2000);
      }
      assert.ok(await page.locator('[data-dag=example_task_group]').count(), 'the example DAGs are listed');

      const origin = new URL(stack.hangarUrl).origin;
      const seen = new Set([key(`${stack.hangarUrl}${START}`)]);
      const queue = [`${stack.hangarUrl}${START}`];
      const broken = [];
      const overflowing = [];
      const visits = new Map();
      const downloads = new Set();
      let visited = 0;
      while (queue.length && visited < MAX_PAGES[mode]) {
        const url = takeNext(queue, visits);
        visits.set(kindOf(url), (visits.get(kindOf(url)) ?? 0) + 1);
        // `load`, not `domcontentloaded`: without JavaScript the DOM is ready before the
        // stylesheet, and a page measured then overflows where the styled page does not.
        const response = await page.goto(url, { waitUntil: 'load' });
        visited += 1;
        const status = response ? response.status() : 0;
        if (status >= 500 || status === 404 || status === 0) {
          broken.push(`${status} ${url}`);
          continue;
        }
        for (const width of WIDTHS) {
          await page.setViewportSize({ width, height: 900 });
          const wide = await overflow(page);
          if (wide) overflowing.push(`${width}px ${url}: ${wide}`);
        }
        await page.setViewportSize({ width: WIDTHS[0], height: 900 });
        // A download is not a page to open (Chromium would answer the navigation with no
        // page); its answer is checked below with a plain request.
        const links = await page.locator('main a[href]:not([download])').evaluateAll((as) => as.map((a) => a.href));
        for (const href of await page.locator('main a[href][download]').evaluateAll((as) => as.map((a) => a.href))) {
          if (downloads.size < MAX_DOWNLOADS) downloads.add(href);
        }
        for (const href of links) {
          let target;
          try { target = new URL(href); } catch { continue; }
          target.hash = '';
          if (!followable(target, origin)) continue;
          const k = key(target.toString());
          if (seen.has(k)) continue;
          seen.add(k);
          queue.push(target.toString());
        }
      }
      for (const url of downloads) {
        const answer = await context.request.get(url);
        if (answer.status() >= 400) broken.push(`${answer.status()} ${url} (download)`);
        else assert.ok((await answer.body()).length > 0, `an empty download: ${url}`);
      }
      assert.deepEqual(broken, [], `pages that did not answer (${visited} visited)`);
      assert.deepEqual(overflowing, [], 'pages wider than the window');
      assert.ok(visited >= 30, `the walk reached ${visited} pages`);
      // Every kind of page the walk found a link to, it visited; runs exist once the
      // integration tests (or the next test) have triggered the examples.
      const found = new Set([...seen].map((k) => kindOf(`${origin}${k}`)));
      // The trigger page too: the walker is an operator of the examples team.
      for (const kind of ['/dags/*/*', '/dags/*/*/graph', '/dags/*/*/code', '/dags/*/*/trigger', '/dags/*/*/runs/*', '/dags/*/*/runs/*/gantt']) {
        if (kind.includes('/runs/') && !found.has(kind)) continue;
        assert.ok(visits.has(kind), `the walk reached a ${kind} page: ${[...visits.keys()].join(', ')}`);
      }
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      await stack.stop();
    }
  });

  test(`graph, Gantt, code and times of a run, and the team switch (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, { skip: !hasAirflow() && 'needs the test Airflow', timeout: 180_000 }, async () => {
    const stack = await startStack();
    try {
      const context = await stack.browser.newContext({
        javaScriptEnabled,
        viewport: { width: 1280, height: 900 },
        timezoneId: 'Asia/Tokyo',
      });
      const page = await context.newPage();
      const errors = watchForErrors(page, stack.hangarUrl);
      await signIn(page, stack.hangarUrl, USER, '/t/examples');
      const dag = '/t/examples/dags/main/example_task_group';
      // The graph is drawn as soon as the DAG is known, its tasks once the catalogue sync has
      // read them (a few syncs): wait for an edge, not for the drawing.
      for (let i = 0; i < 60; i += 1) {
        const response = await page.goto(`${stack.hangarUrl}${dag}/graph`);
        if (response.status() === 200 && await page.locator('svg.dag-graph [data-edge]').count()) break;
        await page.waitForTimeout(2000);
      }
      // The graph: the DAG's groups as boxes, its edges.
      assert.ok(await page.locator('svg.dag-graph [data-group="section_1"]').count(), 'section_1 drawn');
      assert.ok(await page.locator('svg.dag-graph [data-edge]').count() >= 8, 'edges drawn');

      // The code: line numbers and highlighted Python.
      await page.goto(`${stack.hangarUrl}${dag}/code`);
      await page.waitForSelector('[data-testid=code] #C1');
      assert.ok(await page.locator('[data-testid=code] .hl-keyword').count(), 'Python highlighted');

      // A run: its Gantt chart; the times on its page in the browser's zone (Tokyo) with
      // JavaScript, UTC named without.
      await page.goto(`${stack.hangarUrl}${dag}`);
      const runLinks = page.locator('[data-testid=grid-runs] a');
      if (!await runLinks.count()) {
        // No run yet (the integration tests trigger the examples; this suite may run first).
        await page.click('[data-testid=trigger-open]');
        await page.click('[data-testid=trigger-submit]');
        for (let i = 0; i < 30 && !await runLinks.count(); i += 1) {
          await page.waitForTimeout(1000);
          await page.goto(`${stack.hangarUrl}${dag}`);
        }
      }
      {
        const href = await runLinks.first().getAttribute('href');
        await page.goto(`${stack.hangarUrl}${href}`);
        // The route's chunk loads after the page: times switch zone once it has hydrated.
        if (javaScriptEnabled) await page.waitForSelector('#hangar[data-hydrated="true"]');
        const zone = await page.locator('[data-testid=time]').first().getAttribute('data-zone');
        assert.equal(zone, javaScriptEnabled ? 'Asia/Tokyo' : 'UTC');
        if (!javaScriptEnabled) {
          assert.match(await page.locator('[data-testid=time]').first().innerText(), /UTC/);
        }
        await page.goto(`${stack.hangarUrl}${href}/gantt`);
        await page.waitForSelector('svg.gantt');

        // Team B has no such run: switching lands on team B's runs list.
        await page.goto(`${stack.hangarUrl}${href}`);
        const other = await page.locator('[data-testid=team-switcher] a[data-team=team_b]').getAttribute('href');
        assert.equal(other, '/t/team_b/runs');
        await page.goto(`${stack.hangarUrl}${other}`);
        assert.equal(new URL(page.url()).pathname, '/t/team_b/runs');
      }

      // The DAG list's rows are written as text on the server (kept per data version); their
      // times too show in the browser's zone once the page has hydrated, in UTC without it.
      await page.goto(`${stack.hangarUrl}${START}`);
      if (javaScriptEnabled) await page.waitForSelector('#hangar[data-hydrated="true"]');
      const listed = page.locator('[data-dag] [data-testid=time]');
      assert.ok(await listed.count(), 'a scheduled example DAG shows its next run');
      assert.equal(await listed.first().getAttribute('data-zone'), javaScriptEnabled ? 'Asia/Tokyo' : 'UTC');
      assert.ok(await page.locator('[data-dag=example_bash_operator] [data-testid=schedule]').count(), 'schedules in words');
      // So are the run list's (kept the same way, and not sent again for hydration).
      await page.goto(`${stack.hangarUrl}/t/examples/runs`);
      if (javaScriptEnabled) await page.waitForSelector('#hangar[data-hydrated="true"]');
      const runTimes = page.locator('[data-run] [data-testid=time]');
      assert.ok(await runTimes.count(), 'the triggered example runs are listed with their times');
      assert.equal(await runTimes.first().getAttribute('data-zone'), javaScriptEnabled ? 'Asia/Tokyo' : 'UTC');
      assert.ok(await page.locator('[data-run] [data-state]').count(), 'each run with its state');

      // A trailing slash goes to the canonical page.
      const slash = await page.goto(`${stack.hangarUrl}/t/examples/`);
      assert.equal(slash.status(), 200);
      assert.equal(new URL(page.url()).pathname, '/t/examples');
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      await stack.stop();
    }
  });
}
