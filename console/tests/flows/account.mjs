// API keys: made (shown whole once, and working), listed, revoked (and refused after).
export async function run(t) {
  const page = t.page;
  await t.signIn();
  await t.open('/account');
  await page.getByRole('heading', { name: 'API keys' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('ci robot');
  await page.getByLabel('Scopes (comma separated)').fill('siprems');
  await page.getByRole('button', { name: 'Create a key' }).click();
  const key = (await page.getByTestId('new-key').textContent()).trim();
  await page.getByRole('cell', { name: 'ci robot' }).waitFor();
  await t.check('keys');
  await t.api('GET', '/api/v1/products', undefined, key);  // the key works for its scope

  await page.getByRole('row', { name: /ci robot/ }).getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('cell', { name: 'ci robot' }).waitFor({ state: 'detached' });
  const refused = await fetch(t.url + '/api/v1/products', { headers: { Authorization: `Bearer ${key}` } });
  if (refused.status !== 401) throw new Error(`a revoked key got ${refused.status}`);
}
