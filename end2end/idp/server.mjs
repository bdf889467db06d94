// Hangar's test identity provider: the real `oidc-provider` (OpenID Certified) with a small
// login form, demo users and, for tests only, hooks to change groups, tamper with the next
// ID token and count key-set fetches. Listens on loopback only.
//
//   node idp/server.mjs --port 4000 --keys keys.json --client-secret S \
//        --redirect-uri http://127.0.0.1:3000/auth/callback \
//        --post-logout-uri http://127.0.0.1:3000/auth/signed-out [--users users.json] [--test-hooks]
//        [--tls-cert cert.pem --tls-key key.pem]   (serve HTTPS: a provider behind a private CA)
//
// Prints "IDP_READY <issuer>" when it accepts requests.

import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomUUID, createHmac, createPublicKey } from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';
import { generateKeyPair, exportJWK, importJWK, SignJWT, decodeProtectedHeader } from 'jose';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    keys: { type: 'string' },
    users: { type: 'string' },
    'client-id': { type: 'string', default: 'hangar' },
    'client-secret': { type: 'string', default: 'hangar-demo-secret' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'post-logout-uri': { type: 'string', multiple: true, default: [] },
    'test-hooks': { type: 'boolean', default: false },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});

export const DEMO_USERS = {
  alice: { name: 'Alice Admin', groups: ['airflow-admins', 'team_a'] },
  bob: { name: 'Bob Builder', groups: ['team_b'] },
  carol: { name: 'Carol Crosswise', groups: ['team_a', 'team_b'] },
  dave: { name: 'Dave Viewer', groups: ['team_a-viewers'] },
  erin: { name: 'Erin Auditor', groups: ['airflow-auditors'] },
  olga: { name: 'Olga Operator', groups: ['examples', 'team_b'] },
};

const users = args.users ? JSON.parse(readFileSync(args.users, 'utf8')) : structuredClone(DEMO_USERS);

async function loadKeys(file) {
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  const jwks = { keys: [jwk] };
  if (file) writeFileSync(file, JSON.stringify(jwks, null, 2), { mode: 0o600 });
  return jwks;
}

const jwks = await loadKeys(args.keys);
const stats = { jwks: 0, token: 0 };
let tamperNext = null;
let tamperUserinfoNext = null;

const tls = args['tls-cert'] && args['tls-key'];
const server = tls
  ? createHttpsServer({ cert: readFileSync(args['tls-cert']), key: readFileSync(args['tls-key']) })
  : createHttpServer();
await new Promise((resolve) => server.listen(Number(args.port), '127.0.0.1', resolve));
const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    redirect_uris: args['redirect-uri'],
    post_logout_redirect_uris: args['post-logout-uri'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks,
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
    Session: 14 * 24 * 3600,
    Interaction: 3600,
  },
  cookies: { keys: ['hangar-test-idp-cookie-key'] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  // Without this, scope claims appear only in userinfo, not in the ID token.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  // A test provider grants refresh tokens to its one client without a consent screen.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  async findAccount(_ctx, id) {
    const user = users[id];
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          name: user.name,
          preferred_username: id,
          email: user.email ?? `${id}@example.com`,
          // A user may be marked unverified in the users file, as providers do for
          // addresses nobody has confirmed.
          email_verified: user.email_verified ?? true,
          groups: user.groups,
        };
      },
    };
  },
  // First-party client: grant what it asks for, no consent prompt.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups offline_access');
    await grant.save();
    return grant;
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
});

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, error) {
  const rows = Object.entries(users).map(([id, u]) => `
    <li><button type="submit" name="login" value="${escapeHtml(id)}" data-user="${escapeHtml(id)}">
      <strong>${escapeHtml(id)}</strong> — ${escapeHtml(u.name)} <small>(${escapeHtml(u.groups.join(', ') || 'no groups')})</small>
    </button></li>`).join('');
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Test identity provider</title>
<style>body{font:16px system-ui;max-width:40rem;margin:3rem auto}button{font:inherit;padding:.5rem 1rem;margin:.25rem 0;width:100%;text-align:left}</style>
</head><body><h1>Test identity provider</h1><p>Sign in as a demo user (no password: this provider is for development and tests).</p>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login"><ul style="list-style:none;padding:0">${rows}</ul></form></body></html>`;
}

// Re-signs the ID token in a token response the way an attacker or a broken provider would.
async function tamper(idToken, mode) {
  const [h, p] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  const now = Math.floor(Date.now() / 1000);
  const signWith = async (key, claims, kid) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: header.typ }).sign(key);
  const realKey = await importJWK(jwks.keys[0], 'RS256');
  switch (mode) {
    case 'aud': return signWith(realKey, { ...payload, aud: 'someone-else' }, header.kid);
    case 'nonce': return signWith(realKey, { ...payload, nonce: 'forged-nonce' }, header.kid);
    case 'strip_groups': {
      // A provider that sends groups only from userinfo (a valid, signed token).
      const { groups: _groups, ...rest } = payload;
      return signWith(realKey, rest, header.kid);
    }
    case 'iss': return signWith(realKey, { ...payload, iss: 'http://127.0.0.1:1' }, header.kid);
    case 'expired': return signWith(realKey, { ...payload, iat: now - 7200, exp: now - 3600 }, header.kid);
    case 'iat_future': return signWith(realKey, { ...payload, iat: now + 3600, exp: now + 7200 }, header.kid);
    case 'iat_old': return signWith(realKey, { ...payload, iat: now - 86400, exp: now + 600 }, header.kid);
    case 'unknown_key': {
      const { privateKey } = await generateKeyPair('RS256');
      return signWith(privateKey, payload, `unknown-${randomUUID()}`);
    }
    case 'bad_signature': {
      // The real signature over a payload that grants more than the provider said.
      const forged = Buffer.from(JSON.stringify({ ...payload, groups: ['airflow-admins'] })).toString('base64url');
      return `${h}.${forged}.${idToken.split('.')[2]}`;
    }
    case 'alg_none': {
      const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(payload)}.`;
    }
    case 'hs256_public_key': {
      // The classic confusion attack: HMAC keyed with the provider's public key.
      const pem = createPublicKey({ key: jwks.keys[0], format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const input = `${enc({ alg: 'HS256', typ: 'JWT', kid: header.kid })}.${enc(payload)}`;
      return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    }
    default: throw new Error(`unknown tamper mode ${mode}`);
  }
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/jwks') stats.jwks += 1;
  if (ctx.path === '/token') stats.token += 1;

  const interaction = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (interaction) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const finish = async (accountId) => {
      const redirectTo = await provider.interactionResult(ctx.req, ctx.res,
        { login: { accountId } }, { mergeWithLastSubmission: false });
      ctx.redirect(redirectTo);
    };
    if (ctx.method === 'GET' && details.prompt.name === 'login') {
      const hint = details.params.login_hint;
      if (hint && users[hint]) return finish(hint);
      ctx.type = 'html';
      ctx.body = loginPage(details.uid);
      return undefined;
    }
    if (ctx.method === 'POST' && interaction[2]) {
      const login = new URLSearchParams(await readBody(ctx.req)).get('login');
      if (!users[login]) {
        ctx.type = 'html';
        ctx.body = loginPage(details.uid, 'Unknown user');
        return undefined;
      }
      return finish(login);
    }
    // Any other prompt (consent is pre-granted): let the provider carry on.
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, {}, { mergeWithLastSubmission: true });
    ctx.redirect(redirectTo);
    return undefined;
  }

  if (args['test-hooks'] && ctx.path.startsWith('/__test/')) {
    const body = ctx.method === 'GET' || ctx.method === 'DELETE' ? {} : JSON.parse((await readBody(ctx.req)) || '{}');
    const user = ctx.path.match(/^\/__test\/users\/([^/]+)$/);
    ctx.type = 'json';
    if (ctx.path === '/__test/stats') { ctx.body = stats; return undefined; }
    if (ctx.path === '/__test/tamper' && ctx.method === 'POST') { tamperNext = body.mode; ctx.body = { ok: true }; return undefined; }
    if (ctx.path === '/__test/tamper-userinfo' && ctx.method === 'POST') { tamperUserinfoNext = body.sub; ctx.body = { ok: true }; return undefined; }
    if (user && ctx.method === 'POST') { users[user[1]] = { name: body.name ?? user[1], groups: body.groups ?? [], email: body.email }; ctx.body = { ok: true }; return undefined; }
    if (user && ctx.method === 'DELETE') { delete users[user[1]]; ctx.body = { ok: true }; return undefined; }
    ctx.status = 404;
    ctx.body = { error: 'no such test hook' };
    return undefined;
  }

  await next();

  if (ctx.path === '/me' && ctx.status === 200 && tamperUserinfoNext && ctx.body?.sub) {
    ctx.body = { ...ctx.body, sub: tamperUserinfoNext };
    tamperUserinfoNext = null;
  }

  if (ctx.path === '/token' && ctx.status === 200 && tamperNext && ctx.body?.id_token) {
    const mode = tamperNext;
    tamperNext = null;
    ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token, mode) };
  }
  return undefined;
});

server.on('request', provider.callback());
process.stdout.write(`IDP_READY ${issuer}\n`);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
