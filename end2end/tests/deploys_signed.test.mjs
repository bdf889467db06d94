// Signatures tell who wrote a change, in real browsers against the real Airflow's git bundle:
// alice registers her SSH key on her profile (without JavaScript), signs a commit with it,
// the CI token opens the request, carol approves and Hangar moves deploy/team_a; an unsigned
// commit is unreviewable, and the approval screen says so.
//
// The repository and bundle are those of deploys.test.mjs (end2end/scripts/lib.sh); this
// suite starts by pointing deploy/team_a at main's head by hand, as an operator switching a
// team to signatures would, so the range it reviews holds only its own commits.

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
let keyDir;

const git = (args, cwd) => execFileSync('git', args, {
  cwd,
  encoding: 'utf8',
  env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
}).trim();
const revParse = (ref) => git(['--git-dir', repository, 'rev-parse', ref]);

// Commits a change to team_a/README.md on main and pushes it; `signingKey`: an SSH private key.
function pushCommit(text, signingKey) {
  const work = mkdtempSync(join(tmpdir(), 'hangar-e2e-clone-'));
  git(['clone', '-q', repository, work]);
  // Unique content: a rerun against the same repository still has something to commit.
  writeFileSync(join(work, 'team_a/README.md'), `Team A owns this folder.\n${text} (${Date.now()})\n`);
  const sign = signingKey ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${signingKey}`] : [];
  git([...sign, '-c', 'user.name=Alice Admin', '-c', 'user.email=alice@example.com',
    'commit', '-q', ...(signingKey ? ['-S'] : []), '-am', text], work);
  git(['push', '-q', 'origin', 'main'], work);
  const sha = git(['rev-parse', 'HEAD'], work);
  rmSync(work, { recursive: true, force: true });
  return sha;
}


before(async () => {
  assert.ok(hasAirflow() && repository,
    'HANGAR_TEST_AIRFLOW_URL / HANGAR_TEST_DAG_REPOSITORY are not set: run make test, which starts Airflow');
  const deploys = readFileSync(join(here, '..', 'fixtures', 'demo-deploys.toml'), 'utf8')
    .replaceAll('@REPOSITORY@', repository)
    .replace('auto_deploy = true', 'auto_deploy = true\nauthorship = "signatures"');
  stack = await startStack({
    extraConfig: (dir) => `${deploys}\n[git]\ncache_dir = "${join(dir, 'repos')}"\n`,
  });
  git(['--git-dir', repository, 'update-ref', 'refs/heads/deploy/team_a', revParse('main')]);
  keyDir = mkdtempSync(join(tmpdir(), 'hangar-e2e-key-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice', '-f', join(keyDir, 'alice')]);
});
after(async () => {
  await stack?.stop();
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
});

test('alice registers her key, signs a commit, CI requests it and carol approves it', async () => {
  // alice, without JavaScript, registers her key with a signature over the profile's text.
  const aliceContext = await stack.browser.newContext({ javaScriptEnabled: false });
  const alice = await aliceContext.newPage();
  await signIn(alice, stack.hangarUrl, 'alice', '/profile');
  const challenge = await alice.textContent('[data-testid=key-challenge]');
  const proof = execFileSync('ssh-keygen', ['-Y', 'sign', '-n', 'hangar', '-f', join(keyDir, 'alice')],
    { input: challenge, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
  await alice.fill('[data-testid=key-public]', readFileSync(join(keyDir, 'alice.pub'), 'utf8'));
  await alice.fill('[data-testid=key-proof]', proof);
  await alice.click('[data-testid=add-key]');
  await alice.waitForURL((url) => url.pathname === '/profile');
  assert.equal(await alice.locator('[data-testid=signing-keys] tr[data-state=active]').count(), 1);
  const fingerprint = await alice.getAttribute('[data-testid=signing-keys] tr[data-state=active]', 'data-key');
  assert.match(fingerprint, /^SHA256:/);

  // alice (platform admin, so team_a's admin) creates the CI token.
  await alice.goto(`${stack.hangarUrl}/t/team_a/tokens`);
  await alice.fill('[data-testid=token-name]', 'ci');
  await alice.click('[data-testid=create-token]');
  const secret = (await alice.textContent('[data-testid=token-secret]')).trim();
  assert.match(secret, /^hgr_/);

  // A signed commit by alice; CI requests it.
  const signed = pushCommit('Signed by Alice.', join(keyDir, 'alice'));
  const created = await fetch(`${stack.hangarUrl}/api/v1/teams/team_a/deploys`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` },
    body: JSON.stringify({ commit: signed }),
  });
  assert.equal(created.status, 201);
  const { id } = await created.json();
  const detailPath = `/t/team_a/deploys/${id}`;

  // alice wrote it (her key signed it) and made the token: not hers to approve.
  await alice.goto(`${stack.hangarUrl}${detailPath}`);
  assert.equal(
    (await alice.textContent('[data-testid=policy-state]')).trim(),
    'needs 1 more approval from a team author or above other than API token "ci", Alice Admin (who created it) and the commit authors (Alice Admin)',
  );
  assert.match(await alice.textContent('[data-testid=review-refused]'), /you created the API token/);
  assert.match(await alice.textContent('[data-testid=commit-signature]'), new RegExp(`signed by Alice Admin \\(${fingerprint.replace(/[+/]/g, '\\$&')}\\)`));

  // carol, with JavaScript, sees it waiting for her and approves; it deploys by itself.
  const carolContext = await stack.browser.newContext();
  const carol = await carolContext.newPage();
  const errors = watchForErrors(carol, stack.hangarUrl);
  await signIn(carol, stack.hangarUrl, 'carol', '/t/team_a/deploys');
  await carol.waitForSelector('#hangar[data-hydrated="true"]');
  assert.equal(await carol.textContent('[data-testid=review-queue]'), '1 waiting for your review');
  await carol.click('[data-testid=review-queue]');
  await carol.waitForURL((url) => url.pathname === detailPath);
  await carol.waitForSelector('#hangar[data-hydrated="true"]');
  await carol.fill('[data-testid=review-comment]', 'Signed, and reads right.');
  await carol.click('[data-testid=approve]');
  await eventually('the deploy to finish', async () => {
    await carol.goto(`${stack.hangarUrl}${detailPath}`);
    return (await carol.getAttribute('h1 [data-testid=deploy-status]', 'data-state')) === 'deployed';
  }, 60, stack);
  assert.equal(revParse('deploy/team_a'), signed);
  assert.deepEqual(errors, []);

  // An unsigned commit: unreviewable, and the approval screen names it.
  const unsigned = pushCommit('Not signed at all.', null);
  const opened = await fetch(`${stack.hangarUrl}/api/v1/teams/team_a/deploys`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` },
    body: JSON.stringify({ commit: unsigned }),
  });
  assert.equal(opened.status, 201);
  const next = (await opened.json()).id;
  await carol.goto(`${stack.hangarUrl}/t/team_a/deploys/${next}`);
  assert.match(
    await carol.textContent('[data-testid=policy-state]'),
    new RegExp(`^unreviewable: commit ${unsigned.slice(0, 10)} is not signed\\. Nobody can approve it`),
  );
  assert.equal(await carol.locator('[data-testid=approve]').count(), 0);
  assert.match(await carol.textContent('[data-testid=review-refused]'), /nobody can review this deploy/);
  assert.equal(revParse('deploy/team_a'), signed);
  await aliceContext.close();
  await carolContext.close();
});
