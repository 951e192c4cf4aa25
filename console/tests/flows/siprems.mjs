// SIPREMS: the real catalogue seeded by the CLI; a product added through the page (an invalid one refused at its
// field), its sales imported from a CSV and retrained; a product's model trained from the page, then its
// forecast chart with bands, forecast figures and backtest against seasonal naive; the assistant's streamed
// answer kept in the session's history, then forgotten; the catalogue and a product at a phone's width.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SEEDED = 'AIRPAX-INTL';  // data/siprems/sales.csv: monthly, 1949 to 1960
const ADDED = 'FLOUR-1';

// `keel siprems seed --if-empty` against the running Keel's database, from the source tree (it reads
// data/siprems/sales.csv); KEEL_* variables of this process would override the config's settings.
async function seedCatalogue(t) {
  if (!t.keel.binary || !t.keel.config) throw new Error('the siprems flow needs --keel and --config');
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('KEEL_')));
  const { stdout } = await promisify(execFile)(t.keel.binary, ['siprems', 'seed', '--if-empty', '--config', t.keel.config],
                                               { cwd: SOURCE, env, timeout: 60000 });
  const lines = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
  return lines.filter((record) => !('level' in record)).at(-1);
}

// Three years of monthly sales of `sku` with a yearly pattern, as the import wants them.
function salesCsv(sku) {
  const pattern = [0.8, 0.85, 1.0, 1.05, 1.1, 1.25, 1.4, 1.35, 1.1, 1.0, 0.9, 1.15];
  const lines = ['sku,date,quantity,unit_price'];
  for (let i = 0; i < 36; i++) {
    const month = String((i % 12) + 1).padStart(2, '0');
    lines.push(`${sku},${2022 + Math.floor(i / 12)}-${month}-01,${Math.round((100 + 2 * i) * pattern[i % 12])},1.99`);
  }
  return lines.join('\n') + '\n';
}

async function addProduct(t) {
  const page = t.page;
  const form = page.getByRole('form', { name: 'New product' });
  t.expect(422, '/api/v1/products');
  await form.getByLabel('SKU').fill('flour 1kg');
  await form.getByLabel('Name').fill('Flour');
  await form.getByRole('button', { name: 'Add the product' }).click();
  await form.locator('.field.invalid', { has: page.getByLabel('SKU') }).getByText('must be 1-64').waitFor();

  await form.getByLabel('SKU').fill(ADDED);
  await form.getByLabel('Name').fill('Flour, 1 kg');
  await form.getByLabel('Category').fill('bakery');
  await form.getByLabel('Price').fill('1.99');
  await form.getByLabel('Stock').fill('40');
  await form.getByRole('button', { name: 'Add the product' }).click();
  await page.locator(`tr[data-sku="${ADDED}"]`).waitFor();
  const stored = await t.api('GET', `/api/v1/products/${ADDED}`);
  if (stored.price !== 1.99 || stored.stock !== 40 || stored.category !== 'bakery') throw new Error(`stored as ${JSON.stringify(stored)}`);

  await page.getByRole('button', { name: `Edit ${ADDED}` }).click();
  const edit = page.getByRole('form', { name: `Edit ${ADDED}` });
  await edit.getByLabel('Stock').fill('12');
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.locator(`tr[data-sku="${ADDED}"] td.num`, { hasText: /^12$/ }).waitFor();
}

async function importSales(t) {
  const page = t.page;
  const form = page.getByRole('form', { name: 'Import sales' });
  await form.getByLabel('Sales CSV').setInputFiles({ name: 'flour.csv', mimeType: 'text/csv', buffer: Buffer.from(salesCsv(ADDED)) });
  await form.getByRole('button', { name: 'Import the sales' }).click();
  await form.getByText(`Imported 36 sale(s) of ${ADDED}, from 2022-01-01 to 2024-12-01.`).waitFor();
  // The import retrains the product: its job is followed to the end.
  await form.locator('[data-job][data-state="completed"]').waitFor();
  await form.getByText('1 product(s): 1 served').waitFor();
}

async function trainAndForecast(t) {
  const page = t.page;
  await page.getByRole('link', { name: SEEDED, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: /International airline passengers/ }).waitFor();
  await page.getByRole('button', { name: `Train ${SEEDED}'s model` }).click();
  const job = page.locator('[data-job]');
  await job.and(page.locator('[data-state="completed"]')).waitFor();
  const jobId = Number(await job.getAttribute('data-job'));
  const trained = await t.api('GET', `/api/v1/jobs/${jobId}`);
  if (trained.result.products !== 1 || trained.result.outcomes[0].sku !== SEEDED) throw new Error(`trained ${JSON.stringify(trained.result)}`);

  // The chart is drawn with the forecast beside the table of its figures, which are Keel's.
  await page.locator('figure.chart canvas').first().waitFor();
  await t.eventually(async () => {
    const forecast = await t.api('GET', `/api/v1/products/${SEEDED}/forecast?horizon=12`);
    const shown = await page.locator('[data-testid="forecast"] td[data-forecast]').evaluateAll((cells) => cells.map((c) => Number(c.dataset.forecast)));
    return shown.length === 12 && shown.every((value, i) => Math.abs(value - forecast.points[i].forecast) < 1e-9);
  }, 'the forecast figures of the served version');
  const next = await page.getByTestId('next-forecast').textContent();
  if (!/^[\d,.]+$/.test(next)) throw new Error(`the next period's forecast reads ${next}`);

  const backtest = page.getByTestId('backtest');
  await backtest.locator('tr[data-method="Seasonal naive"]').first().waitFor();
  await backtest.getByTestId('verdict').waitFor();
  const measured = await t.api('GET', `/api/v1/products/${SEEDED}/backtest`);
  const naive = await backtest.locator('tr[data-method="Seasonal naive"] td').nth(2).textContent();
  if (Number(naive) !== Number(measured.seasonal_naive.mase.toFixed(3))) throw new Error(`seasonal naive's MASE reads ${naive}`);

  // A shorter horizon redraws from the URL's setting.
  await page.getByLabel('Periods ahead', { exact: true }).selectOption('6');
  await t.eventually(async () => (await page.locator('[data-testid="forecast"] td[data-forecast]').count()) === 6, 'six periods');
  await t.check('product');
}

async function chat(t) {
  const page = t.page;
  await page.getByRole('link', { name: 'Back to the catalogue' }).click();
  await page.getByRole('link', { name: 'Sales assistant' }).click();
  const log = page.getByRole('log', { name: 'Conversation' });
  await log.getByText('No questions yet.').waitFor();

  // Each state the answer passes through while it streams in, as the page shows it.
  await page.evaluate(() => {
    window.streamedTexts = [];
    new MutationObserver(() => {
      const streaming = document.querySelector('[data-streaming]');
      if (streaming && window.streamedTexts.at(-1) !== streaming.textContent) window.streamedTexts.push(streaming.textContent);
    }).observe(document.querySelector('.chat-log'), { subtree: true, childList: true, characterData: true });
  });
  const question = `Forecast ${SEEDED} for the next 3 months`;
  await page.getByLabel('Your question').fill(question);
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/chat') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  const response = await answered;
  if (!response.headers()['content-type']?.startsWith('text/event-stream')) throw new Error('the answer was not streamed');
  if (!JSON.parse(response.request().postData()).stream) throw new Error('the page did not ask for a stream');
  await log.locator('[data-role="assistant"]', { hasText: 'Forecast for International airline passengers' }).waitFor();
  await page.locator('.chat-log[aria-busy="false"][data-session]').waitFor();
  const streamed = await page.evaluate(() => window.streamedTexts);
  if (streamed.length === 0) throw new Error('the answer was never shown while it streamed');

  // The session Keel keeps has the turn, and the page shows it again after a reload.
  const session = await page.locator('.chat-log').getAttribute('data-session');
  const history = await t.api('GET', `/api/v1/chat/sessions/${session}`);
  if (history.turns.length !== 2 || history.turns[0].content !== question) throw new Error(`history ${JSON.stringify(history)}`);
  await page.getByText('Figures the answer used (3)').click();
  await t.check('chat');
  await page.reload();
  await log.locator('[data-role="user"]', { hasText: question }).waitFor();
  await log.locator('[data-role="assistant"]', { hasText: 'January 1961' }).waitFor();

  await page.getByRole('button', { name: 'Top 5 products last year' }).click();
  await log.locator('[data-role="assistant"]:not([data-streaming])', { hasText: 'Best sellers' }).waitFor();
  await t.eventually(async () => (await log.locator('.message').count()) === 4, 'the second turn in the history');
  if ((await t.api('GET', `/api/v1/chat/sessions/${session}`)).turns.length !== 4) throw new Error('the second turn is not in the session');

  await page.getByRole('button', { name: 'Delete this conversation' }).click();
  await log.getByText('No questions yet.').waitFor();
  const gone = await t.api('GET', `/api/v1/chat/sessions/${session}`).then(() => false, (error) => error.message.includes(' 404 '));
  if (!gone) throw new Error('the deleted conversation is still kept');
}

async function phone(t) {
  const page = t.page;
  await page.setViewportSize({ width: 390, height: 800 });
  await t.open('/siprems');
  await page.locator(`tr[data-sku="${SEEDED}"]`).waitFor();
  await t.check('phone-catalogue');

  await t.open(`/siprems/product?sku=${ADDED}`);
  await page.locator('figure.chart canvas').first().waitFor();
  const sale = page.getByRole('form', { name: `Record a sale of ${ADDED}` });
  await sale.getByLabel('Date').fill('2025-01-15');
  await sale.getByLabel('Quantity').fill('30');
  await sale.getByRole('button', { name: 'Record the sale' }).click();
  await sale.getByText('Recorded 30 on 2025-01-15.').waitFor();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (wide > 390) throw new Error(`the product page is ${wide} px wide at a phone's 390`);
  await t.check('phone-product');

  await page.getByRole('button', { name: `Delete ${ADDED}` }).click();
  await page.locator(`tr[data-sku="${SEEDED}"]`).waitFor();
  if ((await page.locator(`tr[data-sku="${ADDED}"]`).count()) !== 0) throw new Error('the deleted product is still listed');
}

export async function run(t) {
  const page = t.page;
  await t.signIn();
  const seeded = await seedCatalogue(t);
  if (!seeded || seeded.products < 10) throw new Error(`seeded ${JSON.stringify(seeded)}`);

  await t.open('/siprems');
  await page.locator(`tr[data-sku="${SEEDED}"]`).waitFor();
  await addProduct(t);
  await importSales(t);
  await t.check('catalogue');
  await trainAndForecast(t);
  await chat(t);
  await phone(t);
}
