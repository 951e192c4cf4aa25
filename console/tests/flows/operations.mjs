// Operations (admin): the queues and health; a discarded job retried and a running one cancelled from the page;
// the property model reloaded, and a second model's traffic split and ended; a new user's verification mail in
// the outbox; that user deactivated and promoted to admin from the page; the jobs at a phone's width.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PASSWORD = 'operations flow password';
const DEMO = 'ab_demo';
const DEMO_VERSIONS = ['20260101T000000Z', '20260102T000000Z'];

// A second model in the test Keel's registry, two copies of the served property version (each meta.json naming
// its own version), for a traffic split that leaves the property model alone.
function addDemoModel(t, property) {
  const ml = readFileSync(t.keel.config, 'utf8').split(/^\[/m).find((section) => section.startsWith('ml]'));
  const modelDir = JSON.parse(ml.match(/^model_dir\s*=\s*(".*")$/m)[1]);
  for (const version of DEMO_VERSIONS) {
    const target = join(modelDir, DEMO, version);
    cpSync(join(modelDir, 'property', property.served_version), target, { recursive: true });
    const meta = JSON.parse(readFileSync(join(target, 'meta.json'), 'utf8'));
    writeFileSync(join(target, 'meta.json'), JSON.stringify({ ...meta, version }));
  }
}

async function jobState(t, id) {
  return (await t.api('GET', `/api/v1/jobs/${id}`)).state;
}

export async function run(t) {
  const page = t.page;
  const views = page.getByRole('navigation', { name: 'Operations views' });
  await t.signIn();
  await page.getByRole('navigation', { name: 'Systems' }).getByRole('link', { name: 'Operations' }).click();
  await page.locator('tr[data-queue="default"]').waitFor();
  await page.getByTestId('health').getByText('ready', { exact: true }).waitFor();
  await t.check('overview');

  // One job that fails both its attempts (discarded; a retry's third attempt succeeds), one that sleeps a minute.
  const failing = await t.api('POST', '/api/v1/debug/jobs', { kind: 'debug.flaky', args: { failures: 2 }, max_attempts: 2 });
  const sleeping = await t.api('POST', '/api/v1/debug/jobs', { kind: 'debug.sleep', args: { ms: 60000 } });
  await t.eventually(async () => (await jobState(t, failing.id)) === 'discarded', 'the flaky job discarded');
  await t.eventually(async () => (await jobState(t, sleeping.id)) === 'running', 'the sleeping job running');

  // The overview counts the running job in its queue (live: the page polls).
  await page.getByRole('link', { name: /^[1-9]\d* running in default$/ }).waitFor();

  await views.getByRole('link', { name: 'Jobs' }).click();
  await page.getByLabel('Queue', { exact: true }).selectOption('default');
  await page.getByLabel('State', { exact: true }).selectOption('discarded');
  const failed = page.locator(`tr[data-job="${failing.id}"]`);
  await failed.waitFor();
  const flaky = `job ${failing.id} (debug.flaky)`;
  await page.getByRole('button', { name: `Details of ${flaky}` }).click();
  await page.getByTestId('job-details').getByText('deliberate failure on attempt 2').waitFor();
  await t.check('jobs');
  await page.getByRole('button', { name: `Retry ${flaky}` }).click();
  await page.getByText(`Job ${failing.id} will run again.`).waitFor();
  await t.eventually(async () => (await jobState(t, failing.id)) === 'completed', 'the retried job completed');

  // The running job, followed through its event stream, cancelled.
  await page.getByLabel('State', { exact: true }).selectOption('running');
  const sleeper = `job ${sleeping.id} (debug.sleep)`;
  await page.getByRole('button', { name: `Details of ${sleeper}` }).click();
  const details = page.getByTestId('job-details');
  await details.getByRole('heading', { name: `Job ${sleeping.id} running` }).waitFor();
  await page.getByRole('button', { name: `Cancel ${sleeper}` }).click();
  await page.getByText(`Job ${sleeping.id} is cancelled.`).waitFor();
  if ((await jobState(t, sleeping.id)) !== 'cancelled') throw new Error('the cancelled job is not cancelled');
  await page.getByLabel('State', { exact: true }).selectOption('cancelled');
  await page.locator(`tr[data-job="${sleeping.id}"]`).getByText('cancelled').waitFor();

  // The property model: what it serves, reloaded (no newer version: it stays).
  const property = (await t.api('GET', '/api/v1/models?per_page=100')).items.find((m) => m.name === 'property');
  await views.getByRole('link', { name: 'Models' }).click();
  const card = page.locator('[data-model="property"]');
  await card.locator(`tr[data-version="${property.served_version}"]`).getByText('served').waitFor();
  await card.getByText('No traffic plan').waitFor();
  await page.getByRole('button', { name: 'Reload property' }).click();
  await card.getByText(`property still serves ${property.served_version}`).waitFor();

  // A model loaded on first use: reloading loads its newest version; its traffic split 1:3, then ended.
  addDemoModel(t, property);
  await t.eventually(async () => (await t.api('GET', '/api/v1/models?per_page=100')).items.some((m) => m.name === DEMO),
                     'the second model in the registry');
  await page.reload();
  const demo = page.locator(`[data-model="${DEMO}"]`);
  await page.getByRole('button', { name: `Reload ${DEMO}` }).click();
  await demo.getByText(`${DEMO} now serves ${DEMO_VERSIONS[1]}`).waitFor();
  await demo.getByText('Split the traffic between versions').click();
  await demo.getByLabel(`Weight of ${DEMO_VERSIONS[0]}`).fill('1');
  await demo.getByLabel(`Weight of ${DEMO_VERSIONS[1]}`).fill('3');
  await demo.getByRole('button', { name: `Split the traffic of ${DEMO}` }).click();
  await demo.locator(`tr[data-version="${DEMO_VERSIONS[0]}"]`).getByText('25.0 %').waitFor();
  // Every instance follows a plan within ml.traffic_poll_ms.
  const plan = () => t.api('GET', `/api/v1/admin/models/${DEMO}/traffic`);
  await t.eventually(async () => {
    const { source, versions } = await plan();
    return source === 'plan' && versions[DEMO_VERSIONS[0]] === 1 && versions[DEMO_VERSIONS[1]] === 3;
  }, 'the 1:3 traffic plan');
  await t.check('models');
  await page.getByRole('button', { name: `End the traffic plan of ${DEMO}` }).click();
  await demo.getByText('No traffic plan').waitFor();
  await t.eventually(async () => (await plan()).source === 'default', 'the plan ended');

  // A new account: its verification code in the outbox.
  const email = `ops-${Date.now()}@example.com`;
  await t.api('POST', '/api/v1/auth/register', { email, password: PASSWORD, name: 'Olive Ops' });
  const mail = await t.eventually(async () => (await t.api('GET', `/api/v1/admin/outbox?to=${encodeURIComponent(email)}`)).items[0],
                                  'the verification mail');
  const code = mail.text.match(/\d{6}/)[0];
  await views.getByRole('link', { name: 'Outbox' }).click();
  await page.getByLabel('Recipient').fill(email);
  await page.getByRole('button', { name: 'Show' }).click();
  await page.locator(`[data-mail="${mail.id}"]`).getByText(code, { exact: false }).waitFor();
  await t.check('outbox');

  // That user deactivated, then made an admin, from the page.
  const user = async () => (await t.api('GET', '/api/v1/admin/users?per_page=100')).items.find((u) => u.email === email);
  await views.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('button', { name: `Deactivate ${email}` }).click();
  await page.getByText(`${email} is deactivated.`).waitFor();
  await t.eventually(async () => (await user()).active === false, 'the user deactivated');
  await page.getByRole('button', { name: `Promote ${email} to admin` }).click();
  await page.getByText(`${email} is now an admin.`).waitFor();
  await t.eventually(async () => (await user()).role === 'admin', 'the user promoted to admin');
  await page.getByRole('button', { name: `Activate ${email}` }).waitFor();
  await t.check('users');

  await page.setViewportSize({ width: 390, height: 800 });
  await views.getByRole('link', { name: 'Overview' }).click();
  await page.locator('tr[data-queue="default"]').waitFor();
  await t.check('phone-overview');
  await views.getByRole('link', { name: 'Jobs' }).click();
  await page.locator('tr[data-job]').first().waitFor();
  await t.check('phone-jobs');
  if (await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth))
    throw new Error('the page is wider than a phone');
}
