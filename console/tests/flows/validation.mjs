// Validation: an app is created (its key shown once) and given a new ingest key; its rules are saved (an invalid
// document's errors shown at the editor first); events sent with the key move the live figures and charts, list
// their violations and fill the feed; the failed events show; an export finishes and downloads; phone width.
import { readFile } from 'node:fs/promises';

const APP = `Web shop ${Date.now() % 100000}`;
const INVALID_RULES = {
  events: { signup: { properties: { plan: { oneOf: [{ const: 'free' }] } } } },
  unplanned: 'sometimes',
};
const RULES = {
  events: {
    signup: { type: 'object', required: ['plan'], properties: { plan: { enum: ['free', 'pro'] } } },
    purchase: { type: 'object', required: ['amount'], properties: { amount: { type: 'number', minimum: 0 } } },
  },
  unplanned: 'block',
};
// Two valid events, two that break a rule (flagged: the app is in flag mode), one nobody planned (blocked).
const BATCH = {
  events: [
    { event: 'signup', user_id: 'u1', properties: { plan: 'pro' } },
    { event: 'signup', properties: { plan: 'gold' } },
    { event: 'purchase', properties: { amount: 12.5 } },
    { event: 'purchase', properties: { amount: -1 } },
    { event: 'refund', properties: {} },
  ],
};

async function ingest(t, key, body) {
  const response = await fetch(t.url + '/api/v1/logs', {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`ingest: ${response.status} ${await response.text()}`);
  return response.json();
}

const number = async (locator) => Number((await locator.textContent()).replace(/[^\d]/g, ''));

export async function run(t) {
  const page = t.page;
  await t.signIn();
  await t.open('/validation');

  // An app: its first key is shown once, and works.
  const form = page.getByRole('form', { name: 'New app' });
  t.expect(422, '/api/v1/apps');
  await form.getByRole('button', { name: 'Create the app' }).click();
  await form.locator('.field.invalid', { has: page.getByLabel('Name') }).waitFor();
  await form.getByLabel('Name').fill(APP);
  await form.getByRole('button', { name: 'Create the app' }).click();
  const firstKey = (await page.getByTestId('new-ingest-key').textContent()).trim();
  if (!firstKey.startsWith('lvd_')) throw new Error(`the key reads ${firstKey}`);
  await page.locator(`tr[data-app="${APP}"]`).waitFor();
  await t.check('apps');

  // Renamed in its row, then opened.
  await page.getByRole('button', { name: `Edit ${APP}` }).click();
  const edit = page.getByRole('form', { name: `Edit ${APP}` });
  await edit.getByLabel('Name').fill(`${APP} EU`);
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('link', { name: `${APP} EU` }).click();
  await page.getByRole('heading', { name: `${APP} EU`, level: 1 }).waitFor();
  const app = (await t.api('GET', '/api/v1/apps?per_page=100')).items.find((a) => a.name === `${APP} EU`);

  // A new ingest key; the first one keeps working through the grace period.
  await page.getByRole('navigation', { name: 'App views' }).getByRole('link', { name: 'Settings', exact: true }).click();
  await page.getByRole('button', { name: 'Make a new ingest key' }).click();
  const key = (await page.getByTestId('new-ingest-key').textContent()).trim();
  if (!key.startsWith('lvd_') || key === firstKey) throw new Error(`the new key reads ${key}`);
  await page.getByText('The previous keys stop working at').waitFor();
  await t.check('settings');

  // Rules: an invalid document is refused with each error listed beside the editor; then a valid one is saved.
  await page.getByRole('link', { name: 'Rules', exact: true }).click();
  const editor = page.getByLabel('Rules document (JSON)');
  await editor.fill('{"events": {');
  await page.getByRole('button', { name: 'Save as a new version' }).click();
  await page.getByText('The document is not valid JSON.').waitFor();
  t.expect(422, `/api/v1/apps/${app.id}/rules`);
  await editor.fill(JSON.stringify(INVALID_RULES, null, 2));
  await page.getByRole('button', { name: 'Save as a new version' }).click();
  const errors = page.getByTestId('rules-errors');
  await errors.getByText('/events/signup/properties/plan/oneOf').waitFor();
  await errors.getByText('/unplanned').waitFor();
  if ((await editor.getAttribute('aria-invalid')) !== 'true') throw new Error('the editor is not marked invalid');
  await page.getByRole('button', { name: /^Show \/unplanned in the editor, line \d+$/ }).click();
  const selected = await editor.evaluate((e) => e.value.slice(e.selectionStart, e.selectionEnd));
  if (!selected.startsWith('"unplanned"')) throw new Error(`the error's button selects ${selected}`);
  await t.check('rules-invalid');

  await editor.fill(JSON.stringify(RULES));
  await page.getByRole('button', { name: 'Save as a new version' }).click();
  await page.getByText('Saved as version 1.').waitFor();
  await page.locator('tr[data-version="1"]').getByText('current').waitFor();
  if ((await editor.getAttribute('aria-invalid')) !== null) throw new Error('the editor is still marked invalid');
  const stored = await t.api('GET', `/api/v1/apps/${app.id}/rules`);
  if (stored.unplanned !== 'block' || !stored.events.purchase) throw new Error(`stored ${JSON.stringify(stored)}`);
  await t.check('rules');

  // Live: once connected, a batch moves the figures, lists the violations and fills the feed.
  await page.getByRole('link', { name: 'Live', exact: true }).click();
  await page.getByTestId('live-state').getByText('connected').waitFor();
  const answer = await ingest(t, key, BATCH);
  if (answer.invalid !== 3 || answer.blocked !== 1) throw new Error(`ingested ${JSON.stringify(answer)}`);
  await ingest(t, firstKey, { event: 'signup', user_id: 'u2', properties: { plan: 'free' } });
  const feed = page.getByTestId('live-feed');
  await feed.getByText('refund').waitFor();
  await t.eventually(async () => (await feed.locator('[data-feed-event]').count()) === 6, 'six events in the feed');
  await t.eventually(async () => (await number(page.getByTestId('seen-live'))) === 6, 'the live count');
  await t.eventually(async () => (await number(page.getByTestId('total-events'))) === 6, 'the dashboard totals');
  await page.locator('tr[data-violation="signup /properties/plan"]').waitFor();
  await page.locator('tr[data-violation="purchase /properties/amount"]').waitFor();
  await page.locator('tr[data-violation="refund /event"]').waitFor();
  await page.locator('figure.chart canvas').nth(1).waitFor();
  await t.check('live');

  // The stored events filter by verdict; the blocked one is among the failed events, with why.
  await page.getByRole('link', { name: 'Events', exact: true }).click();
  await page.getByLabel('Verdict').selectOption('false');
  await t.eventually(async () => (await page.locator('tr[data-event]').count()) === 2, 'the two invalid stored events');
  await page.getByLabel('Show', { exact: true }).selectOption('failed');
  await page.locator('tr[data-event="refund"]').getByText('unplanned').waitFor();
  await t.check('failed');

  // An export: started, followed to ready, downloaded with the events in it.
  await page.getByRole('link', { name: 'Exports', exact: true }).click();
  await page.getByRole('button', { name: 'Start the export' }).click();
  const row = page.locator('tr[data-export][data-state="ready"]');
  await row.waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: /^Download the CSV export/ }).click()]);
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.trim().split('\n');
  if (lines.length !== 6 || !csv.includes('purchase') || !download.suggestedFilename().endsWith('.csv'))
    throw new Error(`the download ${download.suggestedFilename()} holds ${csv}`);
  await t.check('exports');

  // At phone width, in the dark scheme, the live view still fits and reads.
  await page.setViewportSize({ width: 390, height: 800 });
  await page.getByLabel('Colour scheme').selectOption('dark');
  await page.getByRole('link', { name: 'Live', exact: true }).click();
  await page.getByTestId('live-state').getByText('connected').waitFor();
  await page.locator('tr[data-violation="refund /event"]').waitFor();
  await ingest(t, key, { event: 'purchase', properties: { amount: 'ten' } });
  await page.getByTestId('live-feed').getByText('"ten"').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 0) throw new Error(`the page is ${overflow} px wider than the phone`);
  await t.check('phone');

  // Deleted from its settings, it leaves the list.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByLabel('Colour scheme').selectOption('auto');
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await page.getByRole('button', { name: `Delete ${APP} EU` }).click();
  await page.getByRole('heading', { name: 'Your apps' }).waitFor();
  await page.locator(`tr[data-app="${APP} EU"]`).waitFor({ state: 'detached' });
}
