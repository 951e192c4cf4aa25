// The console's browser tests: each flow in flows/ drives Debian's Chromium (through playwright-core, no
// downloaded browser) against a running Keel. A flow fails on a console error, a failed request or an answer
// it did not expect, and every page it checks must have no serious or critical axe-core violation; each
// checked page is saved as a screenshot in --artifacts.
//
//   node run.mjs --url http://127.0.0.1:PORT --admin EMAIL:PASSWORD --artifacts DIR
//                [--keel BINARY --config FILE] [--only flow,...] [--measure] [--slower N]
//
// --measure first loads the first page five times in fresh contexts (measure.mjs); `--only none` with it
// measures alone (bench/run-console.sh).
//
// --slower N stretches every wait N times (a Keel built with sanitizers).
//
// tests/e2e/test_console.py starts Keel and runs this in `make test`.
import { readFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { measureFirstLoad } from './measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const url = option('--url');
const [adminEmail, adminPassword] = (option('--admin') ?? '').split(/:(.*)/s);
const artifacts = option('--artifacts', join(here, 'artifacts'));
const only = option('--only')?.split(',');
const slower = Number(option('--slower', '1'));
mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  // As root in a sandbox-less container; no background calls to Google's hosts (the network is closed).
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--use-gl=swiftshader', '--enable-unsafe-swiftshader',
         '--ignore-gpu-blocklist'],
});

// One flow's browser context, with what it checks.
class Run {
  constructor(name, context, page) {
    this.name = name;
    this.context = context;
    this.page = page;
    this.url = url;
    this.admin = { email: adminEmail, password: adminPassword };
    this.keel = { binary: option('--keel'), config: option('--config') };
    this.artifacts = artifacts;
    this.errors = [];
    this.expected = [];  // [status, url part] of answers the flow provokes on purpose
    this.checked = [];
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const text = message.text();
      const where = message.location()?.url ?? '';
      const status = Number(text.match(/status of (\d{3})/)?.[1]);
      if (status && this.isExpected(status, where)) return;
      this.errors.push(`console error: ${text} (${where})`);
    });
    page.on('pageerror', (error) => this.errors.push(`uncaught: ${error.stack ?? error.message}`));
    page.on('requestfailed', (request) => {
      const failure = request.failure()?.errorText ?? '';
      // A stream the page stops (a live feed left behind) is aborted on purpose.
      if (failure.includes('ERR_ABORTED')) return;
      this.errors.push(`request failed: ${request.method()} ${request.url()}: ${failure}`);
    });
    page.on('response', (response) => {
      const status = response.status();
      if (status >= 400 && !this.isExpected(status, response.url()))
        this.errors.push(`unexpected ${status}: ${response.request().method()} ${response.url()}`);
      // The page's own blob: and data: URLs (a download, a decoded texture) never leave the browser.
      const local = response.url().startsWith(`blob:${url}/`) || response.url().startsWith('data:');
      if (!local && !response.url().startsWith(url)) this.errors.push(`request to something other than Keel: ${response.url()}`);
    });
  }

  isExpected(status, where) {
    return this.expected.some(([s, part]) => s === status && where.includes(part));
  }

  // The flow provokes this answer on purpose (a 422 shown at its field, say).
  expect(status, urlPart) {
    this.expected.push([status, urlPart]);
  }

  async open(hash = '') {
    await this.page.goto(`${url}/#${hash}`);
  }

  async signIn(email = this.admin.email, password = this.admin.password) {
    await this.open('/sign-in');
    await this.page.getByLabel('E-mail').fill(email);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  // Keel's API from the test itself (not the page): the admin's token, for reading the outbox and so on.
  async api(method, path, body, token) {
    token ??= await this.adminToken();
    const response = await fetch(url + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  async adminToken() {
    if (this.token) return this.token;
    const response = await fetch(url + '/api/v1/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: this.admin.email, password: this.admin.password }),
    });
    if (!response.ok) throw new Error(`admin login: ${response.status} ${await response.text()}`);
    this.token = (await response.json()).access_token;
    return this.token;
  }

  // Waits until `predicate` returns something truthy (polled), and returns it.
  async eventually(predicate, what, timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs * slower;
    for (;;) {
      const value = await predicate();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  // Checks the page as it is now: axe-core finds no serious or critical violation; saves a screenshot.
  async check(pageName) {
    const page = this.page;
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { resultTypes: ['violations'] });
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')})`);
    });
    for (const violation of violations) this.errors.push(`axe on ${pageName}: ${violation}`);
    await page.screenshot({ path: join(artifacts, `${this.name}-${pageName}.png`), fullPage: true });
    this.checked.push(pageName);
  }
}

const flows = readdirSync(join(here, 'flows'))
  .filter((file) => file.endsWith('.mjs'))
  .sort()
  .filter((file) => !only || only.includes(file.replace(/\.mjs$/, '')));
let failed = 0;
const report = { flows: {} };
if (args.includes('--measure')) {
  report.first_load = await measureFirstLoad(browser, url);
  console.log('first load:', JSON.stringify(report.first_load));
}
for (const file of flows) {
  const name = file.replace(/\.mjs$/, '');
  const { run } = await import(join(here, 'flows', file));
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: url });
  context.setDefaultTimeout(30000 * slower);
  const page = await context.newPage();
  page.on('dialog', (dialog) => dialog.accept());
  const flow = new Run(name, context, page);
  const started = Date.now();
  try {
    await run(flow);
  } catch (error) {
    flow.errors.push(`failed: ${error.stack ?? error.message}`);
    await page.screenshot({ path: join(artifacts, `${name}-failure.png`), fullPage: true }).catch(() => {});
  }
  await context.close();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  report.flows[name] = { seconds: Number(seconds), pages: flow.checked, errors: flow.errors };
  if (flow.errors.length) {
    failed++;
    console.log(`FAIL ${name} (${seconds} s)`);
    for (const error of flow.errors) console.log('  ' + error.replaceAll('\n', '\n    '));
  } else {
    console.log(`ok   ${name} (${seconds} s; pages checked: ${flow.checked.join(', ') || 'none'})`);
  }
}
await browser.close();
writeFileSync(join(artifacts, 'report.json'), JSON.stringify(report, null, 2));
if (flows.length === 0 && !report.first_load) {
  console.log('no flows ran');
  process.exit(1);
}
process.exit(failed ? 1 : 0);
