// Sign-up with the e-mailed code (read from the outbox, as the mail would be), a wrong code shown at its field,
// sign-in, sign-out, and the pages a signed-out visitor gets.
export async function run(t) {
  const page = t.page;
  const email = `new-${Date.now()}@example.com`;
  await t.open('/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await t.check('sign-in');

  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  // A short password is refused at its field, and nothing is created.
  t.expect(422, '/api/v1/auth/register');
  await page.getByLabel('Name').fill('Ada');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create the account' }).click();
  await page.locator('.field.invalid', { has: page.getByLabel('Password') }).waitFor();
  await t.check('sign-up-invalid');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create the account' }).click();

  await page.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
  await t.check('verify');
  const mail = await t.eventually(async () => (await t.api('GET', `/api/v1/admin/outbox?to=${encodeURIComponent(email)}`)).items[0],
                                  'the code in the outbox');
  const code = mail.text.match(/code is (\d{6})/)[1];
  t.expect(422, '/api/v1/auth/verify');
  await page.getByLabel('Code').fill(code === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.locator('.field.invalid', { has: page.getByLabel('Code') }).waitFor();
  await page.getByLabel('Code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();

  await page.getByText('Your e-mail is verified').waitFor();
  // A new page takes the focus to its heading; on a fresh load the first Tab reaches the skip link; Enter in
  // the password field signs in.
  await t.eventually(() => page.evaluate(() => document.activeElement?.textContent === 'Sign in' &&
                                               document.activeElement.tagName === 'H1'), "the new page's heading focused");
  await page.reload();
  await page.getByLabel('Password').waitFor();
  await page.keyboard.press('Tab');
  if ((await page.evaluate(() => document.activeElement.textContent)) !== 'Skip to content')
    throw new Error('the first Tab does not reach the skip link');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { name: 'Tasks' }).waitFor();
  await page.getByRole('link', { name: email }).waitFor();
  // A user sees no Operations.
  if (await page.getByRole('link', { name: 'Operations' }).count()) throw new Error('a user is shown Operations');

  // A reload keeps the session; signing out ends it.
  await page.reload();
  await page.getByRole('heading', { name: 'Tasks' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await t.open('/tasks');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();

  // A wrong password is told without saying which part was wrong.
  t.expect(401, '/api/v1/auth/login');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();

  await page.getByRole('link', { name: 'Reset it' }).click();
  await page.getByRole('heading', { name: 'Reset the password' }).waitFor();
  await t.check('reset');
}
