// oidc-provider-server.mjs
//
// Copyright 2026 The Mail Relay developers
//
// SPDX-License-Identifier: GPL-3.0-or-later
//
// A real, OpenID-certified provider (node-oidc-provider) on 127.0.0.1 for
// tests/test-oidc-provider.py. As conforming providers do, it keeps the
// email claim out of the id_token (conformIdTokenClaims, its default) and
// serves it from the userinfo endpoint (/me). Its development login and
// consent forms take any name and password.
//
// Environment: OIDC_PROVIDER_MAIN, the package's entry file (required);
// OIDC_CLIENT_ID; OIDC_EMAIL, the address of every account ("" for none).
// Prints "PORT n" once listening, then one line a request to /token and
// /me: "TOKEN id_token-email=yes|no", "USERINFO status".
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const { default: Provider } = await import(pathToFileURL(process.env.OIDC_PROVIDER_MAIN).href);
const email = process.env.OIDC_EMAIL ?? 'user@example.org';
const clientId = process.env.OIDC_CLIENT_ID ?? 'mail-relay-oidc-test';

function idTokenHasEmail (idToken) {
  const payload = JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString());
  return 'email' in payload;
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [{
      client_id: clientId,
      application_type: 'native',       // RFC 8252: any port on the loopback redirect
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/oauth2/callback'],
    }],
    scopes: ['openid', 'email', 'offline_access', 'https://mail.google.com/'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => (email ? { sub: id, email, email_verified: true } : { sub: id }),
    }),
    issueRefreshToken: async () => true,
    pkce: { required: () => true, methods: ['S256'] },
    cookies: { keys: ['mail-relay-test-only'] },
    features: { devInteractions: { enabled: true }, userinfo: { enabled: true } },
  });

  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.body && ctx.body.id_token)
      process.stdout.write(`TOKEN id_token-email=${idTokenHasEmail(ctx.body.id_token) ? 'yes' : 'no'}\n`);
    else if (ctx.path === '/me')
      process.stdout.write(`USERINFO ${ctx.status}\n`);
  });
  server.on('request', provider.callback());
  process.stdout.write(`PORT ${port}\n`);
});
