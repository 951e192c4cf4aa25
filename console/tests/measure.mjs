// The first page's cost in a fresh browser (no cache): bytes transferred for the page, its scripts and styles,
// and the time to first contentful paint and to interactive (the sign-in form rendered and usable). Median of
// five loads.
export async function measureFirstLoad(browser, url, loads = 5) {
  const samples = [];
  for (let i = 0; i < loads; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url + '/');
    await page.waitForFunction(() => {
      const button = [...document.querySelectorAll('form button')].find((b) => b.textContent === 'Sign in');
      if (!button || button.disabled) return false;
      window.__interactive ??= performance.now();
      return true;
    }, null, { polling: 'raf' });
    samples.push(await page.evaluate(() => {
      const resources = performance.getEntriesByType('resource');
      const navigation = performance.getEntriesByType('navigation')[0];
      const sum = (kinds) => resources.filter((r) => kinds.test(r.name)).reduce((total, r) => total + r.transferSize, 0);
      return {
        transferred_kib: (navigation.transferSize + sum(/\.(js|css|svg)$/)) / 1024,
        script_and_style_kib: sum(/\.(js|css)$/) / 1024,
        requests: resources.length + 1,
        first_contentful_paint_ms: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
        interactive_ms: window.__interactive,
      };
    }));
    await context.close();
  }
  const median = (key) => {
    const values = samples.map((s) => s[key]).sort((a, b) => a - b);
    return Math.round(values[Math.floor(values.length / 2)] * 10) / 10;
  };
  return Object.fromEntries(Object.keys(samples[0]).map((key) => [key, median(key)]));
}
