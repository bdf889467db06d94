// The foundation in a real browser, once with JavaScript and once without: sign in through the
// real identity provider, land in the team, switch teams without signing in again, two tabs on
// two teams, a foreign team is "not found", sign out. With JavaScript, the page must hydrate.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signIn, watchForErrors } from './harness.mjs';

let stack;
before(async () => { stack = await startStack(); });
after(async () => { await stack?.stop(); });

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';
  const newContext = () => stack.browser.newContext({ javaScriptEnabled });

  test(`sign in, land in the team, switch teams without a login (${mode})`, async () => {
    const context = await newContext();
    const page = await context.newPage();
    const errors = watchForErrors(page, stack.hangarUrl);
    await signIn(page, stack.hangarUrl, 'carol', '/t/team_b');
    assert.equal(new URL(page.url()).pathname, '/t/team_b', 'lands where the user was going');
    assert.equal(await page.textContent('[data-testid=team-role]'), 'admin');
    assert.match(await page.textContent('[data-testid=user-menu] summary'), /Carol Crosswise/);

    if (javaScriptEnabled) {
      await page.waitForSelector('#hangar[data-hydrated="true"]');
    }
    // carol is an admin of team_b: the header offers its audit log.
    assert.equal(await page.getAttribute('[data-testid=audit-link]', 'href'), '/t/team_b/audit');
    const providerVisits = [];
    page.on('request', (r) => { if (r.url().startsWith(stack.issuer)) providerVisits.push(r.url()); });
    await page.click('[data-testid=team-switcher] summary');
    await page.click('[data-testid=team-switcher] a[data-team="team_a"]');
    await page.waitForURL('**/t/team_a');
    await page.waitForSelector('section[data-team="team_a"]');
    assert.equal(await page.textContent('[data-testid=team-role]'), 'author');
    // The header follows the page (written again for the new path with JavaScript, rendered
    // anew without): team_a with carol's role there, no audit log (an author's), the menu
    // closed.
    assert.equal(await page.textContent('[data-testid=team-switcher] summary'), 'Team A · author');
    assert.equal(await page.getAttribute('[data-testid=team-switcher] a[data-team="team_a"]', 'aria-current'), 'page');
    assert.equal(await page.getAttribute('[data-testid=team-switcher] a[data-team="team_b"]', 'aria-current'), null);
    assert.equal(await page.locator('[data-testid=audit-link]').count(), 0);
    assert.equal(await page.locator('[data-testid=team-switcher][open]').count(), 0, 'the switcher closed');
    // Where team_a's tasks run, as the platform declares it (demo-teams.toml).
    assert.match(
      await page.textContent('[data-testid=team-execution] [data-testid=execution-declared]'),
      /KubernetesExecutor, namespace team-a, queue team_a/,
    );
    // And back to the team the page was first written for: its home written again (with
    // JavaScript, from the frame the browser reads; the hydrated one carried no text), and
    // its filter working.
    await page.click('[data-testid=team-switcher] summary');
    await page.click('[data-testid=team-switcher] a[data-team="team_b"]');
    await page.waitForSelector('section[data-team="team_b"] [data-testid=team-role]');
    assert.equal(await page.textContent('[data-testid=team-role]'), 'admin');
    if (javaScriptEnabled) {
      await page.locator('[data-testid=only-allowed]').check();
      assert.equal(await page.locator('table.permissions.only-allowed').count(), 1);
    }
    assert.deepEqual(providerVisits, [], 'switching never goes to the identity provider');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`two tabs show two teams (${mode})`, async () => {
    const context = await newContext();
    const first = await context.newPage();
    await signIn(first, stack.hangarUrl, 'carol', '/t/team_a');
    const second = await context.newPage();
    await second.goto(`${stack.hangarUrl}/t/team_b`);
    await first.reload();
    assert.equal(await first.getAttribute('section.team-home', 'data-team'), 'team_a');
    assert.equal(await second.getAttribute('section.team-home', 'data-team'), 'team_b');
    assert.match(await first.textContent('[data-testid=team-switcher] summary'), /Team A/);
    assert.match(await second.textContent('[data-testid=team-switcher] summary'), /Team B/);
    await context.close();
  });

  test(`a foreign team is "not found", like a missing one (${mode})`, async () => {
    const context = await newContext();
    const page = await context.newPage();
    await signIn(page, stack.hangarUrl, 'bob', '/t/team_b');
    const foreign = await page.goto(`${stack.hangarUrl}/t/team_a`);
    assert.equal(foreign.status(), 404);
    const foreignText = await page.textContent('main');
    const missing = await page.goto(`${stack.hangarUrl}/t/no_such_team`);
    assert.equal(missing.status(), 404);
    assert.equal(await page.textContent('main'), foreignText);
    assert.doesNotMatch(foreignText, /Team A|team_a/);
    await context.close();
  });

  test(`sign out ends the session here and at the provider (${mode})`, async () => {
    const context = await newContext();
    const page = await context.newPage();
    await signIn(page, stack.hangarUrl, 'alice', '/t/team_a');
    await page.click('[data-testid=user-menu] summary');
    await page.click('[data-testid=logout]');
    // The provider asks for confirmation.
    await page.waitForURL((url) => url.toString().startsWith(stack.issuer));
    await page.click('button[name="logout"]');
    await page.waitForURL('**/auth/signed-out');
    assert.match(await page.textContent('main'), /You are signed out/);
    await page.goto(`${stack.hangarUrl}/t/team_a`);
    await page.waitForSelector('button[data-user="alice"]');
    assert.ok(page.url().startsWith(stack.issuer), 'back at the provider: a real sign-in is needed');
    await context.close();
  });
}

test('the page hydrates: a control that only works with WebAssembly running', async () => {
  const context = await stack.browser.newContext();
  const page = await context.newPage();
  const errors = watchForErrors(page, stack.hangarUrl);
  await signIn(page, stack.hangarUrl, 'carol', '/t/team_a');
  await page.waitForSelector('#hangar[data-hydrated="true"]', { timeout: 15000 });
  const rows = page.locator('table.permissions tbody tr');
  const all = await rows.count();
  // Enabled by the home's own code once it runs, which may come a moment after the flag.
  await page.waitForSelector('[data-testid=only-allowed]:not([disabled])', { timeout: 5000 });
  const checkbox = page.locator('[data-testid=only-allowed]');
  await checkbox.check();
  const visible = await page.locator('table.permissions tbody tr:visible').count();
  assert.ok(visible < all && visible > 0, `filter shows ${visible} of ${all}`);
  assert.equal(visible, await page.locator('table.permissions tbody tr.allowed').count());
  assert.deepEqual(errors, [], 'no script errors and no CSP violations');
  await context.close();
});

// The team home comes with the page's frame, not a load of its own: reached by the tabs, in
// the browser, it must show once the frame for its path is read, and work (the filter).
test('the team home reached by the tabs and by going back, in the browser', async () => {
  const context = await stack.browser.newContext();
  const page = await context.newPage();
  const errors = watchForErrors(page, stack.hangarUrl);
  await signIn(page, stack.hangarUrl, 'carol', '/t/team_a/pools');
  await page.waitForSelector('#hangar[data-hydrated="true"]', { timeout: 15000 });
  const documents = [];
  page.on('request', (r) => { if (r.resourceType() === 'document') documents.push(r.url()); });
  await page.click('nav.team-nav a[href="/t/team_a"]');
  await page.waitForSelector('section[data-team="team_a"] [data-testid=team-role]');
  assert.equal(await page.textContent('[data-testid=team-role]'), 'author');
  await page.locator('[data-testid=only-allowed]').check();
  assert.equal(await page.locator('table.permissions.only-allowed').count(), 1);
  await page.click('nav.team-nav a[href="/t/team_a/pools"]');
  await page.waitForURL('**/t/team_a/pools');
  await page.goBack();
  await page.waitForSelector('section[data-team="team_a"] [data-testid=team-role]');
  assert.deepEqual(documents, [], 'every step stayed in the page (no full load)');
  assert.deepEqual(errors, [], 'no script errors and no CSP violations');
  await context.close();
});

test('a page loads the shell and its own code; another page\'s code comes when it is opened', async () => {
  const context = await stack.browser.newContext();
  const page = await context.newPage();
  const errors = watchForErrors(page, stack.hangarUrl);
  const fetched = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    // The bundle is served from /pkg/<its content id>/.
    if (path.startsWith('/pkg/') && path.endsWith('.wasm')) fetched.push(path.split('/').pop());
  });
  await signIn(page, stack.hangarUrl, 'carol', '/t/team_a');
  await page.waitForSelector('#hangar[data-hydrated="true"]', { timeout: 15000 });
  const routeChunks = () => fetched.filter((file) => file.startsWith('split_'));
  assert.ok(fetched.includes('hangar_bg.wasm'), 'the main module');
  assert.deepEqual(routeChunks().map((file) => file.replace(/_view_\d+\.wasm$/, '')), ['split___team_home_route'],
    'the team home\'s own chunk, and no other page\'s');
  // The server names the page's chunks in its Link header, so they load beside the main
  // module.
  const response = await context.request.get(`${stack.hangarUrl}/t/team_a`);
  const links = response.headers()['link'] ?? '';
  assert.match(links, /<\/pkg\/[0-9a-f]{16}\/split___team_home_route_view_\d+\.wasm>; rel=preload; as=fetch; type="application\/wasm"; crossorigin/);
  assert.match(links, /<\/pkg\/[0-9a-f]{16}\/__wasm_split\.[^>]*\.js>; rel=modulepreload/);
  assert.doesNotMatch(links, /split___runs_route/);
  assert.doesNotMatch(await response.text(), /<link[^>]*href="[^"]*split_[^"]*"/, 'no tags left in the <head>');
  // A preload in another mode than the loader's fetch would be fetched twice.
  assert.equal(new Set(fetched).size, fetched.length, `each file fetched once: ${fetched}`);

  const before = fetched.length;
  await page.click('nav.team-nav a[href="/t/team_a/runs"]');
  await page.waitForURL(`${stack.hangarUrl}/t/team_a/runs`);
  await page.waitForSelector('[data-testid=run-state-filter]');
  const opened = fetched.slice(before);
  assert.ok(opened.some((file) => file.startsWith('split___runs_route_view_')), `the runs page's chunk: ${opened}`);
  assert.ok(!opened.includes('hangar_bg.wasm'), 'the main module is not loaded again');
  assert.deepEqual(errors, [], 'no script errors and no CSP violations');
  await context.close();
});

test('the bundle is cached for good under its content id; a page whose code is gone since loads afresh', async () => {
  const context = await stack.browser.newContext();
  const page = await context.newPage();
  await signIn(page, stack.hangarUrl, 'carol', '/t/team_a');
  await page.waitForSelector('#hangar[data-hydrated="true"]', { timeout: 15000 });
  const html = await (await context.request.get(`${stack.hangarUrl}/t/team_a`)).text();
  const main = html.match(/href="(\/pkg\/[0-9a-f]{16}\/hangar_bg\.wasm)"/)[1];
  const served = await context.request.get(`${stack.hangarUrl}${main}`);
  assert.equal(served.status(), 200);
  assert.equal(served.headers()['cache-control'], 'public, max-age=31536000, immutable');
  const missing = await context.request.get(`${stack.hangarUrl}${main.replace('hangar_bg', 'not_there')}`);
  assert.equal(missing.status(), 404);
  assert.notEqual(missing.headers()['cache-control'], 'public, max-age=31536000, immutable', 'a 404 is not cached for good');
  const css = await context.request.get(`${stack.hangarUrl}/pkg/hangar.css`);
  assert.equal(css.headers()['cache-control'], 'no-cache', 'the style sheet keeps its name: revalidated');

  // As after a deploy: the runs page's code is no longer served. Following the link reloads
  // the page from the server (with the new build) instead of leaving this one dead; the
  // next click then works.
  await page.route('**/split___runs_route_*', (route) => route.fulfill({ status: 404, body: '' }));
  await page.evaluate(() => { window.beforeTheClick = true; });
  await page.click('nav.team-nav a[href="/t/team_a/runs"]');
  await page.waitForFunction(() => window.beforeTheClick === undefined && document.readyState === 'complete');
  await page.unroute('**/split___runs_route_*');
  await page.waitForSelector('#hangar[data-hydrated="true"]', { timeout: 15000 });
  await page.click('nav.team-nav a[href="/t/team_a/runs"]');
  await page.waitForURL(`${stack.hangarUrl}/t/team_a/runs`);
  await page.waitForSelector('[data-testid=run-state-filter]');
  await context.close();
});

test('without JavaScript the same control is inert and every row shows', async () => {
  const context = await stack.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, stack.hangarUrl, 'carol', '/t/team_a');
  assert.equal(await page.locator('[data-testid=only-allowed]').isEnabled(), false);
  const rows = await page.locator('table.permissions tbody tr').count();
  assert.equal(await page.locator('table.permissions tbody tr:visible').count(), rows);
  await context.close();
});

test('platform admins reach /platform, team users get not found', async () => {
  const context = await stack.browser.newContext();
  const admin = await context.newPage();
  await signIn(admin, stack.hangarUrl, 'alice', '/platform');
  // team_a, team_b and examples (Airflow's own example DAGs).
  assert.equal(await admin.locator('[data-testid=platform-teams] tbody tr').count(), 3);
  await context.close();
  const other = await stack.browser.newContext();
  const page = await other.newPage();
  await signIn(page, stack.hangarUrl, 'bob', '/t/team_b');
  const response = await page.goto(`${stack.hangarUrl}/platform`);
  assert.equal(response.status(), 404);
  await other.close();
});
