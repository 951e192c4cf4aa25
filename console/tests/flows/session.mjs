// Tokens are refreshed without the user noticing: shortly before the access token expires, and once more when
// the server refuses it; when the refresh token is no good either, the visitor is asked to sign in again.
const TOKENS = 'keel.console.tokens';

export async function run(t) {
  const page = t.page;
  await t.signIn();
  const tokens = () => page.evaluate((key) => JSON.parse(localStorage.getItem(key)), TOKENS);
  const edit = (change) => page.evaluate(([key, change]) => {
    localStorage.setItem(key, JSON.stringify({ ...JSON.parse(localStorage.getItem(key)), ...change }));
  }, [TOKENS, change]);
  const first = await tokens();

  // About to expire: the next request refreshes first (no 401 is seen: the harness would fail on one).
  await edit({ expires_at: Date.now() + 1000 });
  await page.reload();
  await t.open('/account');
  await page.getByRole('heading', { name: 'API keys' }).waitFor();
  const second = await tokens();
  if (second.refresh_token === first.refresh_token) throw new Error('the token was not refreshed ahead of expiry');

  // A refresh the server cannot do now (rate-limited) keeps the session: the token is still good, and the next
  // request tries again.
  t.expect(429, '/api/v1/auth/refresh');
  await page.route('**/api/v1/auth/refresh', (route) => route.fulfill({
    status: 429, contentType: 'application/problem+json', body: '{"title": "Too Many Requests", "status": 429}' }));
  await edit({ expires_at: Date.now() + 1000 });
  await page.reload();
  await page.getByRole('heading', { name: 'API keys' }).waitFor();
  if ((await tokens())?.refresh_token !== second.refresh_token) throw new Error('a rate-limited refresh ended the session');
  await page.unroute('**/api/v1/auth/refresh');

  // Refused although not expired by this clock (the server's differs): refreshed, and the request sent again.
  t.expect(401, '/api/v1/auth/me');
  await edit({ access_token: 'not-a-token', expires_at: Date.now() + 3600_000 });
  await page.reload();
  await page.getByRole('heading', { name: 'API keys' }).waitFor();
  const third = await tokens();
  if (third.refresh_token === second.refresh_token) throw new Error('a refused token was not refreshed');
  await t.check('refreshed');

  // Two tabs whose token expires at once take turns: one refreshes, the other takes its pair (a refresh token
  // presented twice would end the session for both).
  const other = await t.context.newPage();
  await edit({ expires_at: Date.now() + 1000 });
  await Promise.all([page.reload(), other.goto(`${t.url}/#/account`)]);
  await page.getByRole('heading', { name: 'API keys' }).waitFor();
  await other.getByRole('heading', { name: 'API keys' }).waitFor();
  await Promise.all([page.reload(), other.reload()]);
  await page.getByRole('heading', { name: 'API keys' }).waitFor();
  await other.getByRole('heading', { name: 'API keys' }).waitFor();
  if (!(await tokens())) throw new Error('two tabs refreshing ended the session');
  // Signing out in one tab signs the other out too, and forgets what the console kept for the user (not the
  // colour scheme).
  await page.evaluate(() => {
    localStorage.setItem('keel.validation.exports.demo', '["e1"]');
    localStorage.setItem('keel.console.theme', 'dark');
  });
  await other.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const kept = await page.evaluate(() => [localStorage.getItem('keel.validation.exports.demo'),
                                          localStorage.getItem('keel.console.theme')]);
  if (kept[0] !== null || kept[1] !== 'dark') throw new Error(`after sign-out the browser keeps ${JSON.stringify(kept)}`);
  await page.evaluate(() => localStorage.removeItem('keel.console.theme'));
  await other.close();
  await t.signIn();
  // (The tasks page's first request must be answered before the session is ended under it.)
  await page.getByText(/\(\d+ in all\)/).waitFor();
  const fresh = await tokens();

  // A spent refresh token: the session ends and the visitor is sent to sign in.
  t.expect(401, '/api/v1/auth/refresh');
  await t.api('POST', '/api/v1/auth/logout', { refresh_token: fresh.refresh_token });
  await edit({ access_token: 'not-a-token' });
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  if (await tokens()) throw new Error('the dead session is still stored');
}
