// Tasks: create (a missing title shown at its field), filter, edit, complete, page through, delete.
export async function run(t) {
  const page = t.page;
  await t.signIn();
  await t.open('/tasks');
  const form = page.getByRole('form', { name: 'New task' });

  t.expect(422, '/api/v1/tasks');
  await form.getByRole('button', { name: 'Add the task' }).click();
  await form.locator('.field.invalid', { has: page.getByLabel('Title') }).waitFor();
  await t.eventually(() => form.getByLabel('Title').evaluate((e) => e === document.activeElement),
                     'the focus on the field the server named');

  await form.getByLabel('Title').fill('Water the plants');
  await form.getByLabel('Priority').selectOption('high');
  await form.getByLabel('Due').fill('2030-05-01T09:30');
  await form.getByLabel('Description').fill('The ones on the balcony too');
  await form.getByRole('button', { name: 'Add the task' }).click();
  const row = page.locator('tr[data-task="Water the plants"]');
  await row.waitFor();
  const [task] = (await t.api('GET', '/api/v1/tasks?per_page=100')).items.filter((x) => x.title === 'Water the plants');
  if (task.priority !== 'high' || !task.due_at.startsWith('2030-05-01')) throw new Error(`stored as ${JSON.stringify(task)}`);
  await t.check('list');

  await page.getByRole('button', { name: 'Edit Water the plants' }).click();
  const edit = page.getByRole('form', { name: 'Edit Water the plants' });
  await t.eventually(async () => (await edit.getByLabel('Title').evaluate((e) => e === document.activeElement)),
                     'the focus in the editor');
  await edit.getByLabel('Title').fill('Water the garden');
  await edit.getByLabel('Status').selectOption('in_progress');
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.locator('tr[data-task="Water the garden"]').getByText('in progress').waitFor();
  // The editor took the focus, and gives it back to its row's Edit button.
  await t.eventually(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label') === 'Edit Water the garden'),
                     'the focus back on the Edit button');

  await page.getByRole('button', { name: 'Complete Water the garden' }).click();
  await page.locator('tr[data-task="Water the garden"]').getByText('done').waitFor();

  // Filters: only done tasks, then only todo ones (the completed task leaves the list).
  for (let i = 0; i < 22; i++) await t.api('POST', '/api/v1/tasks', { title: `Chore ${i}`, priority: 'low' });
  // The 22 chores came through the API: the list shows them once reloaded, and the filter leaves the one done.
  await page.reload();
  await page.getByText('(23 in all)').waitFor();
  await page.getByLabel('Status').first().selectOption('done');
  await page.getByText('(1 in all)').waitFor();
  if ((await page.locator('tr[data-task]').count()) !== 1) throw new Error('the status filter shows other tasks');
  await page.getByLabel('Status').first().selectOption('todo');
  await page.getByText('Page 1 of 2').waitFor();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText('Page 2 of 2').waitFor();
  await t.check('filtered');
  // A phone's width, in the dark scheme: still usable and legible.
  await page.setViewportSize({ width: 390, height: 800 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await t.check('phone-dark');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ colorScheme: 'light' });

  await page.getByLabel('Status').first().selectOption('done');
  await page.getByRole('button', { name: 'Delete Water the garden' }).click();
  await page.locator('tr[data-task="Water the garden"]').waitFor({ state: 'detached' });
  const left = (await t.api('GET', '/api/v1/tasks?per_page=100')).items.filter((x) => x.title === 'Water the garden');
  if (left.length) throw new Error('the deleted task is still there');
}
