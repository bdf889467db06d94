// A reviewed deploy, in real browsers, against the real Airflow's git bundle: alice requests
// the change on main, cannot approve her own request, carol approves (without JavaScript),
// Hangar moves deploy/team_a, Airflow's team_a_repo bundle picks the commit up, and alice's
// page turns "live in Airflow" by itself. Then CI opens the next request with a team token.
//
// The repository and the bundle come from end2end/scripts/lib.sh (create_dag_repository,
// start_airflow); main is one commit (by alice) ahead of deploy/team_a.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack, signIn, watchForErrors, hasAirflow, eventually } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repository = process.env.HANGAR_TEST_DAG_REPOSITORY;
let stack;

// The git CLI without the machine's own settings (signing, hooks, default branch).
const git = (args, cwd) => execFileSync('git', args, {
  cwd,
  encoding: 'utf8',
  env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
}).trim();
const revParse = (ref) => git(['--git-dir', repository, 'rev-parse', ref]);

before(async () => {
  assert.ok(hasAirflow() && repository,
    'HANGAR_TEST_AIRFLOW_URL / HANGAR_TEST_DAG_REPOSITORY are not set: run make test, which starts Airflow');
  stack = await startStack({
    catalogueInterval: '5s',
    extraConfig: (dir) => `
${readFileSync(join(here, '..', 'fixtures', 'demo-deploys.toml'), 'utf8').replaceAll('@REPOSITORY@', repository)}
[git]
cache_dir = "${join(dir, 'repos')}"
`,
  });
});
after(async () => { await stack?.stop(); });

// Airflow's own view of a DAG, as its admin user.
async function airflowDag(dagId) {
  const base = process.env.HANGAR_TEST_AIRFLOW_URL;
  const auth = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'hangar', password: process.env.HANGAR_TEST_AIRFLOW_PASSWORD }),
  });
  const { access_token: token } = await auth.json();
  const response = await fetch(`${base}/api/v2/dags/${dagId}`, { headers: { Authorization: `Bearer ${token}` } });
  return response.ok ? response.json() : null;
}


test('alice requests, cannot approve her own deploy, carol approves, and the DAG goes live in Airflow', async () => {
  const base = revParse('deploy/team_a');
  const head = revParse('main');
  assert.notEqual(base, head);

  // alice, with JavaScript: the candidate is main's head; requesting opens the approval screen.
  const aliceContext = await stack.browser.newContext();
  const alice = await aliceContext.newPage();
  const errors = watchForErrors(alice, stack.hangarUrl);
  await signIn(alice, stack.hangarUrl, 'alice', '/t/team_a/deploys');
  await alice.waitForSelector('#hangar[data-hydrated="true"]');
  assert.equal(await alice.textContent('[data-testid=target-commit]').then((t) => t.trim()), base.slice(0, 12));
  assert.equal(await alice.getAttribute('[data-testid=candidates] input[type=radio]:checked', 'value'), head);
  await alice.click('[data-testid=request-deploy]');
  await alice.waitForURL(/\/t\/team_a\/deploys\/\d+$/);
  const detailPath = new URL(alice.url()).pathname;

  // What the reviewer will see: only team_a/ and common/ files, with coloured lines.
  await alice.waitForSelector('[data-testid=file-tree]');
  const files = await alice.locator('[data-testid=file-tree] li[data-path]').evaluateAll(
    (items) => items.map((li) => li.getAttribute('data-path')),
  );
  assert.deepEqual(files.sort(), ['common/naming.py', 'team_a/team_a_publish.py']);
  assert.ok(await alice.locator('article[data-path="team_a/team_a_publish.py"] tr.added').count() > 10);
  assert.match(await alice.textContent('[data-testid=deploy-commits]'), /Publish the daily extract/);

  // alice requested it and wrote the commit: the server offers her no approval.
  assert.match(await alice.textContent('[data-testid=policy-state]'), /^needs 1 more approval from a team author or above other than Alice Admin$/);
  assert.match(await alice.textContent('[data-testid=review-refused]'), /you requested this deploy, so someone else must review it/);
  assert.equal(await alice.locator('[data-testid=approve]').count(), 0);

  // carol, without JavaScript, approves with a comment: a plain form post.
  const carolContext = await stack.browser.newContext({ javaScriptEnabled: false });
  const carol = await carolContext.newPage();
  await signIn(carol, stack.hangarUrl, 'carol', detailPath);
  await carol.fill('[data-testid=review-comment]', 'Looks right: a new DAG, no schedule.');
  await carol.click('[data-testid=approve]');
  await carol.waitForURL((url) => url.pathname === detailPath);

  // auto_deploy: the deploy runs and moves the ref Airflow's bundle tracks, to exactly head.
  await eventually('the deploy to finish', async () => {
    await carol.goto(`${stack.hangarUrl}${detailPath}`);
    return (await carol.getAttribute('h1 [data-testid=deploy-status]', 'data-state')) === 'deployed';
  }, 60, stack);
  assert.equal(revParse('deploy/team_a'), head);
  assert.equal(revParse('main'), head);
  assert.equal((await carol.locator('[data-testid=step-strip] li').allTextContents()).length >= 5, true);

  // Airflow parses the new DAG from the bundle at that commit.
  const dag = await eventually('Airflow to parse team_a_publish at the deployed commit', async () => {
    const found = await airflowDag('team_a_publish');
    return found?.bundle_version === head ? found : null;
  }, 180, stack);
  assert.equal(dag.bundle_name, 'team_a_repo');

  // alice's open page turns "live in Airflow" by itself (live updates, no reload).
  await alice.waitForSelector('[data-testid=confirmation][data-state=live]', { timeout: 120000 });
  assert.match(await alice.textContent('[data-testid=confirmation]'), /^live in Airflow at \d\d:\d\d UTC$/);

  // And Hangar lists the DAG for team A, and shows the deployed commit on the team's home.
  await carol.goto(`${stack.hangarUrl}/t/team_a/dags`);
  assert.ok(await carol.locator('[data-dag="team_a_publish"]').count() === 1);
  await carol.goto(`${stack.hangarUrl}/t/team_a`);
  assert.equal((await carol.textContent('[data-testid=home-deployed]')).trim(), head.slice(0, 12));
  assert.deepEqual(errors, []);
  await aliceContext.close();
  await carolContext.close();
});

test('CI opens the next deploy request with a team token, and nothing else', async () => {
  // alice (a platform admin, so admin in team_a) creates a token; the page shows it once.
  const context = await stack.browser.newContext();
  const page = await context.newPage();
  await signIn(page, stack.hangarUrl, 'alice', '/t/team_a/tokens');
  await page.waitForSelector('#hangar[data-hydrated="true"]');
  await page.fill('[data-testid=token-name]', 'ci main');
  await page.click('[data-testid=create-token]');
  const secret = (await page.textContent('[data-testid=token-secret]', { timeout: 10000 })).trim();
  assert.match(secret, /^hgr_/);

  // A merge to main by someone else: team_a_publish gets a second task.
  const work = mkdtempSync(join(tmpdir(), 'hangar-e2e-clone-'));
  git(['clone', '-q', repository, work]);
  const dagFile = join(work, 'team_a/team_a_publish.py');
  const source = readFileSync(dagFile, 'utf8');
  const changed = source.replace('    publish()\n',
    '    @task\n    def announce():\n        return "announced"\n\n    publish() >> announce()\n');
  assert.notEqual(changed, source);
  writeFileSync(dagFile, changed);
  git(['-c', 'user.name=Erin Engineer', '-c', 'user.email=erin@example.com', 'commit', '-q', '-am', 'Announce after publishing'], work);
  git(['push', '-q', 'origin', 'main'], work);
  const next = git(['rev-parse', 'HEAD'], work);
  rmSync(work, { recursive: true, force: true });

  const api = (path, init = {}) => fetch(`${stack.hangarUrl}/api/v1/teams${path}`, {
    ...init,
    headers: { 'Content-Type': 'application/json', ...(init.headers ?? {}) },
  });
  const body = JSON.stringify({ commit: next });
  const bearer = { Authorization: `Bearer ${secret}` };
  assert.equal((await api('/team_a/deploys', { method: 'POST', body })).status, 401);
  assert.equal((await api('/team_b/deploys', { method: 'POST', body, headers: bearer })).status, 404);
  assert.equal((await api('/team_a/deploys', {
    method: 'POST', body: JSON.stringify({ commit: next, approved_by: 'carol' }), headers: bearer,
  })).status, 422);

  const created = await api('/team_a/deploys', { method: 'POST', body, headers: bearer });
  assert.equal(created.status, 201);
  const answer = await created.json();
  assert.equal(answer.candidate, next);
  assert.equal(answer.status, 'pending');
  assert.equal(answer.files, 1);
  const status = await (await api(`/team_a/deploys/${answer.id}`, { headers: bearer })).json();
  assert.equal(status.status, 'pending');

  // The request waits for a person: deploy/team_a has not moved.
  assert.notEqual(revParse('deploy/team_a'), next);
  await page.goto(`${stack.hangarUrl}/t/team_a/deploys`);
  assert.match(await page.textContent('[data-testid=open-request]'), new RegExp(`#${answer.id}`));
  await page.goto(`${stack.hangarUrl}/t/team_a/tokens`);
  assert.notEqual((await page.textContent('[data-testid=token-last-used]')).trim(), 'never');
  await context.close();
});

test('emails mode: carol writes under a made-up address and approves; it still needs someone else', async () => {
  const deployedBefore = revParse('deploy/team_a');
  // carol commits under an address nobody in Hangar owns, and pushes to main.
  const work = mkdtempSync(join(tmpdir(), 'hangar-e2e-clone-'));
  git(['clone', '-q', repository, work]);
  writeFileSync(join(work, 'team_a/README.md'), 'Team A owns this folder.\nReviewed by nobody in particular.\n');
  git(['-c', 'user.name=Carol Crosswise', '-c', 'user.email=not-carol@made-up.example', 'commit', '-q', '-am', 'Reword the README'], work);
  git(['push', '-q', 'origin', 'main'], work);
  const carols = git(['rev-parse', 'HEAD'], work);
  rmSync(work, { recursive: true, force: true });

  // alice requests it (with JavaScript): the unknown author asks for a second approval. Hangar
  // fetches the repository at most every 10 s: the page offers carol's commit after that.
  const aliceContext = await stack.browser.newContext();
  const alice = await aliceContext.newPage();
  await signIn(alice, stack.hangarUrl, 'alice', '/t/team_a/deploys');
  await eventually('the page to offer carol\'s commit', async () => {
    await alice.goto(`${stack.hangarUrl}/t/team_a/deploys`);
    await alice.waitForSelector('#hangar[data-hydrated="true"]');
    // Until Hangar fetches again the page may offer no commit at all (its cached head can be the
    // deployed one): look without waiting, since a wait for a missing radio ends the test.
    const offered = alice.locator('[data-testid=candidates] input[type=radio]:checked');
    return (await offered.count()) === 1 && (await offered.getAttribute('value')) === carols;
  }, 30, stack);
  assert.match(await alice.textContent('[data-testid=authorship-emails]'), /Anyone can commit under any address/);
  await alice.click('[data-testid=request-deploy]');
  await alice.waitForURL(/\/t\/team_a\/deploys\/\d+$/);
  const detailPath = new URL(alice.url()).pathname;
  const state = await alice.textContent('[data-testid=policy-state]');
  assert.match(state, /^needs 2 more approvals from a team author or above other than Alice Admin/);
  assert.match(state, /unknown author \([^)]*not-carol@made-up\.example[^)]*\): one approval more than usual$/);
  assert.ok(await alice.locator('[data-commit] [data-email="not-carol@made-up.example"] [data-testid=unknown-author]').count() >= 1);

  // carol, without JavaScript, approves her own change: one approval of two, nothing moves.
  const carolContext = await stack.browser.newContext({ javaScriptEnabled: false });
  const carol = await carolContext.newPage();
  await signIn(carol, stack.hangarUrl, 'carol', detailPath);
  await carol.fill('[data-testid=review-comment]', 'Fine by me.');
  await carol.click('[data-testid=approve]');
  await carol.waitForURL((url) => url.pathname === detailPath);
  assert.equal(await carol.getAttribute('h1 [data-testid=deploy-status]', 'data-state'), 'pending');
  assert.match(await carol.textContent('[data-testid=policy-state]'), /^needs 1 more approval from a team author or above other than Alice Admin/);
  assert.equal(revParse('deploy/team_a'), deployedBefore);
  await aliceContext.close();
  await carolContext.close();
});
