// Each role logs in and lands on its own home page.
import assert from 'node:assert/strict';
import { ACCOUNTS, DEMO_PASSWORD, journey } from '../lib/harness.js';

const HOMES = [
  ['direction', 'Direction'],
  ['manager', 'Mon district'],
  ['representative', "Aujourd'hui"],
  ['billing', 'Facturation'],
];

for (const [role, heading] of HOMES) {
  const account = ACCOUNTS[role];
  journey(`${role} logs in and lands on « ${heading} »`, async (j) => {
    const page = await j.as(null);
    await j.visit(page, '/');
    assert.equal(new URL(page.url()).pathname, '/login', 'anonymous visitors are sent to the login page');
    await page.getByLabel('Courriel').fill(account.email);
    await page.getByLabel('Mot de passe').fill(DEMO_PASSWORD);
    await j.submit(page, page.getByRole('button', { name: 'Se connecter' }));
    assert.equal(new URL(page.url()).pathname, account.home);
    assert.match(await page.locator('h1').innerText(), new RegExp(`^${heading}`));
    assert.equal(await page.locator('.who-name').innerText(), account.name);
    // The current page is marked in the main navigation.
    const current = page.getByRole('navigation', { name: 'Navigation principale' }).locator('[aria-current="page"]');
    assert.equal(await current.count(), 1);
  });
}

journey('a wrong password keeps the email and says why', async (j) => {
  const page = await j.as(null);
  await j.visit(page, '/login');
  await page.getByLabel('Courriel').fill(ACCOUNTS.representative.email);
  await page.getByLabel('Mot de passe').fill('pas-le-bon-mot-de-passe');
  await j.submit(page, page.getByRole('button', { name: 'Se connecter' }), { status: 401 });
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(await page.getByLabel('Courriel').inputValue(), ACCOUNTS.representative.email);
  assert.ok(await page.getByRole('alert').isVisible(), 'an error message is shown');
});
