// The access overview in a real browser: a platform admin sees who holds which role and
// ends a user's sessions (that user is signed out at their next request); an auditor sees
// it all and can change nothing; a team admin sees their own team's members and nothing
// wider.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signIn, watchForErrors, hasAirflow } from './harness.mjs';

let stack;
before(async () => {
  assert.ok(hasAirflow(), 'HANGAR_TEST_AIRFLOW_URL is not set: run make test, which starts Airflow');
  stack = await startStack();
});
after(async () => { await stack?.stop(); });

const people = (page) => page.locator('[data-testid=people] tbody tr')
  .evaluateAll((trs) => trs.map((tr) => ({ subject: tr.dataset.person, text: tr.innerText })));

/// Whether the page's session still opens a team page, asked without following redirects.
async function stillSignedIn(page, path) {
  const response = await page.request.get(`${stack.hangarUrl}${path}`, { maxRedirects: 0 });
  if (response.status() === 200) return true;
  assert.equal(response.status(), 303, `${path}: ${response.status()}`);
  assert.match(response.headers().location, /^\/auth\/login/);
  return false;
}

test('a platform admin sees who holds which role and ends a user\'s sessions', async () => {
  const bobContext = await stack.browser.newContext();
  const bob = await bobContext.newPage();
  await signIn(bob, stack.hangarUrl, 'bob', '/t/team_b');
  assert.ok(await stillSignedIn(bob, '/t/team_b'));

  const context = await stack.browser.newContext();
  const page = await context.newPage();
  const errors = watchForErrors(page, stack.hangarUrl);
  await signIn(page, stack.hangarUrl, 'alice', '/platform');
  await page.click('[data-testid=access-link]');
  await page.waitForURL('**/platform/access');
  await page.waitForSelector('#hangar[data-hydrated="true"]');
  // The link navigates in the page: the URL changes before the new page's data has come.
  await page.waitForSelector('[data-testid=access-teams] tbody tr');

  // The rules per team and the people with the role each group gives them.
  const teams = await page.locator('[data-testid=access-teams] tbody tr')
    .evaluateAll((trs) => trs.map((tr) => ({ team: tr.dataset.team, text: tr.innerText })));
  assert.ok(teams.some((t) => t.team === 'team_b' && t.text.includes('team_b → admin')), JSON.stringify(teams));
  let shown = await people(page);
  const bobRow = shown.find((p) => p.subject === 'bob');
  assert.ok(bobRow, JSON.stringify(shown));
  assert.match(bobRow.text, /Team B: admin \(team_b → admin\)/);
  assert.match(bobRow.text, /1 active/);
  const aliceRow = shown.find((p) => p.subject === 'alice');
  assert.match(aliceRow.text, /admin \(airflow-admins → platform admin\)/);
  assert.match(aliceRow.text, /Team A: author/);

  // Search narrows the list (a GET form).
  await page.fill('[data-testid=people-search]', 'builder');
  await page.click('[data-testid=people-filter]');
  await page.waitForURL((url) => url.searchParams.get('q') === 'builder');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=people] tbody tr').length === 1);
  shown = await people(page);
  assert.deepEqual(shown.map((p) => p.subject), ['bob']);

  // End Bob's sessions: the answer says how many, and Bob is signed out at his next request.
  await page.click('[data-person=bob] [data-testid=end-sessions]');
  assert.equal(await page.innerText('[data-testid=sessions-ended]'), 'Ended 1 session of Bob Builder.');
  await page.waitForFunction(() => document.querySelector('[data-person=bob] [data-testid=person-sessions]')?.innerText.startsWith('none'));
  assert.equal(await stillSignedIn(bob, '/t/team_b'), false, 'bob is signed out');
  assert.ok(await stillSignedIn(page, '/platform/access'), 'alice is not');
  assert.deepEqual(errors, []);
  await bobContext.close();
  await context.close();
});

test('an auditor sees access but changes nothing; a team admin sees only their team (JavaScript off)', async () => {
  const context = await stack.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, stack.hangarUrl, 'erin', '/platform/access');
  assert.ok((await people(page)).some((p) => p.subject === 'erin'));
  assert.equal(await page.locator('[data-testid=end-sessions]').count(), 0, 'no button for an auditor');
  // Nor does the function answer to one.
  const refused = await page.request.post(`${stack.hangarUrl}/api/end_user_sessions`, {
    form: { user_id: '1' },
    headers: { origin: stack.hangarUrl },
  });
  assert.equal(refused.status(), 404);
  await context.close();

  const bobContext = await stack.browser.newContext({ javaScriptEnabled: false });
  const bob = await bobContext.newPage();
  await signIn(bob, stack.hangarUrl, 'bob', '/t/team_b');
  assert.equal(await bob.getAttribute('[data-testid=access-link]', 'href'), '/t/team_b/access');
  await bob.click('[data-testid=access-link]');
  await bob.waitForURL('**/t/team_b/access');
  const members = await bob.locator('[data-testid=members] tbody tr')
    .evaluateAll((trs) => trs.map((tr) => ({ subject: tr.dataset.person, text: tr.innerText })));
  // Alice (platform admin) reaches every team; Carol holds team_b through her group.
  assert.ok(members.some((m) => m.subject === 'bob' && /admin/.test(m.text)), JSON.stringify(members));
  assert.ok(members.every((m) => !m.text.includes('team_a')), 'nothing about team_a');
  for (const path of ['/platform/access', '/t/team_a/access']) {
    const response = await bob.goto(`${stack.hangarUrl}${path}`);
    assert.equal(response.status(), 404, path);
    assert.doesNotMatch(await bob.content(), /team_a|Alice/, path);
  }
  await bobContext.close();
});
