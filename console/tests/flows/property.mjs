// PropertyAI: the form comes from the model's features; a price is predicted and the last hour's chart shows it.
export async function run(t) {
  const page = t.page;
  await t.signIn();
  await t.open('/property');
  const meta = await t.api('GET', '/api/v1/property/model');
  const before = (await t.api('GET', '/api/v1/property/stats?window=1h')).count;
  for (const feature of meta.features) await page.getByLabel(feature.name.replaceAll('_', ' ').replace(/\bsqft\b/, '(sq ft)'), { exact: true }).waitFor();

  // A value out of its range is refused at its field.
  const area = page.getByLabel('living area (sq ft)');
  const range = meta.features.find((f) => f.name === 'living_area_sqft');
  t.expect(422, '/api/v1/property/predict');
  await area.fill(String(range.max * 10));
  await page.getByRole('button', { name: 'Predict the price' }).click();
  await page.locator('.field.invalid', { has: area }).waitFor();

  await area.fill('1656');
  await page.getByRole('button', { name: 'Predict the price' }).click();
  const price = await page.getByTestId('price').textContent();
  if (!/^\$[\d,]+$/.test(price)) throw new Error(`the price reads ${price}`);
  await page.getByText(`by version ${meta.version}`).waitFor();

  // The stats count it once the log writer has (at most ml.log_flush_ms later); the chart has its point.
  await t.eventually(async () => {
    await page.reload();
    const shown = Number(await page.getByTestId('prediction-count').textContent());
    return shown > before;
  }, 'the prediction in the stats');
  await page.locator('figure.chart canvas').first().waitFor();
  await t.check('predicted');
  // The header's switch picks the dark scheme whatever the system's.
  await page.getByLabel('Colour scheme').selectOption('dark');
  await t.check('dark');
  await page.setViewportSize({ width: 390, height: 800 });
  await t.check('phone');
  await page.getByLabel('Colour scheme').selectOption('auto');
}
