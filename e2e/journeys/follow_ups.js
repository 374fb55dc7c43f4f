// A representative works from « Aujourd'hui »: logs a follow-up and comes
// back to it; the same form completed with the keyboard alone.
import assert from 'node:assert/strict';
import { ACCOUNTS, DEMO_PASSWORD, journey, ofName } from '../lib/harness.js';

// The rows of the « À faire : étapes sans suivi » table.
function todoRows(page) {
  return page.locator('section[aria-labelledby="todo-title"] tbody tr');
}

// The member links of the to-do table, as /membres/{id} paths.
async function todoMembers(page) {
  const hrefs = await todoRows(page).locator('td[data-label="Membre"] a').evaluateAll((links) =>
    links.map((a) => new URL(a.href).pathname),
  );
  return hrefs;
}

journey('a representative logs a follow-up from « Aujourd\'hui » and finds it on the member page', async (j) => {
  const page = await j.as('representative');
  await j.visit(page, '/aujourdhui');
  const before = await todoMembers(page);
  assert.ok(before.length > 0, 'the demo representative has steps without a follow-up');
  const first = todoRows(page).first().locator('td[data-label="Membre"] a');
  const name = await first.innerText();
  const memberPath = before[0];

  await j.submit(page, first);
  assert.equal(new URL(page.url()).pathname, memberPath);
  assert.equal(await page.locator('h1').innerText(), name);
  const body = `Appel du parcours navigateur : ${name} pense renouveler.`;
  const form = page.locator('#suivi-form');
  // Saved without the member state nor what was said: refused, by the fields.
  await j.submit(page, form.getByRole('button', { name: 'Enregistrer le suivi' }), { status: 422 });
  assert.ok(await form.getByRole('alert').isVisible(), 'the form says it was not saved');
  assert.equal(await form.getByLabel("Ce qui s'est dit ou fait").getAttribute('aria-invalid'), 'true');
  await form.getByLabel('Moyen de contact').selectOption({ label: 'Appel' });
  await form.locator('input[name="state"][value="green"]').check();
  await form.getByLabel("Ce qui s'est dit ou fait").fill(body);
  await j.submit(page, form.getByRole('button', { name: 'Enregistrer le suivi' }));

  // Back on « Aujourd'hui », with a word about it, and the step is done.
  assert.equal(new URL(page.url()).pathname, '/aujourdhui');
  assert.match(await page.getByRole('status').innerText(), new RegExp(`^Suivi ${ofName(name)} enregistré\\.$`));
  const after = await todoMembers(page);
  assert.ok(!after.includes(memberPath), `${name} is no longer in the to-do list`);
  assert.equal(after.length, before.length - 1);

  // The member page shows it at the top of the history.
  await j.visit(page, memberPath);
  const latest = page.locator('ol.history > li.entry').first();
  assert.match(await latest.innerText(), /Appel · Sophie Lavoie/);
  assert.equal(await latest.locator('p.prewrap').first().innerText(), body);
  assert.ok(await page.getByText('Étape faite : un suivi a été consigné pendant cette étape.').isVisible());
});

// Presses Tab until `selector` has the focus (at most `limit` times).
async function tabTo(page, selector, limit = 300) {
  for (let i = 0; i < limit; i += 1) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`${selector} never got the focus with Tab`);
}

journey('the login and follow-up forms can be completed with the keyboard alone', async (j) => {
  const page = await j.as(null);
  await j.visit(page, '/login');
  // The email field has the focus on arrival (autofocus).
  await page.keyboard.type(ACCOUNTS.representative.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(DEMO_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal(new URL(page.url()).pathname, '/aujourdhui');
  await j.check(page);

  // The second member of the to-do list (the other journey takes the first).
  const memberPath = (await todoMembers(page))[1];
  assert.ok(memberPath, 'a second member to follow up');
  await j.visit(page, `${memberPath}?retour=/aujourdhui`);
  await tabTo(page, '#channel');
  await page.keyboard.press('ArrowDown'); // Rencontre
  // The next follow-up date is left empty; the first member state is taken.
  await tabTo(page, 'input[name="state"]');
  await page.keyboard.press('Space');
  await tabTo(page, '#body');
  const body = 'Rencontre notée sans souris.';
  await page.keyboard.type(body);
  await tabTo(page, '#suivi-form button[type="submit"]');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  await j.check(page);

  assert.equal(new URL(page.url()).pathname, '/aujourdhui');
  await j.visit(page, memberPath);
  const latest = page.locator('ol.history > li.entry').first();
  assert.match(await latest.innerText(), /Rencontre · Sophie Lavoie/);
  assert.equal(await latest.locator('p.prewrap').first().innerText(), body);
  assert.equal(await latest.locator('.badge.state').count(), 1, 'the state chosen with the space bar is recorded');
});
