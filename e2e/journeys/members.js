// A district manager edits a member, then meets the exclusive seat rule.
import assert from 'node:assert/strict';
import { journey, literally, ofName } from '../lib/harness.js';

journey('a manager edits a member and is told when the exclusive seat is taken', async (j) => {
  const page = await j.as('manager');
  await j.visit(page, '/groupes');
  // A group A of the district: one active member per profession.
  const groupA = page.locator('tbody tr', { hasText: 'Groupe A (sièges exclusifs)' }).first().locator('a').first();
  await j.submit(page, groupA);
  const seats = page.locator('tbody tr', { hasText: 'Siège exclusif' });
  assert.ok((await seats.count()) >= 2, 'the group has two exclusive seats');
  const holder = await seats.nth(0).locator('td[data-label="Nom"]').innerText();
  const profession = await seats.nth(0).locator('td[data-label="Profession"]').innerText();
  const other = seats.nth(1).locator('td[data-label="Nom"] a');
  const name = await other.innerText();

  // An ordinary edit is saved and shown.
  await j.submit(page, other);
  const memberPath = new URL(page.url()).pathname;
  await j.submit(page, page.getByRole('link', { name: 'Modifier la fiche' }));
  await page.getByLabel('Ville').fill('Longueuil');
  await j.submit(page, page.getByRole('button', { name: 'Enregistrer' }));
  assert.equal(new URL(page.url()).pathname, memberPath);
  assert.match(await page.getByRole('status').innerText(), new RegExp(`^Fiche ${ofName(name)} enregistrée\\.$`));
  assert.match(await page.locator('dl.facts').first().innerText(), /Ville\s+Longueuil/);

  // Taking the profession of another exclusive seat of the group is refused.
  await j.submit(page, page.getByRole('link', { name: 'Modifier la fiche' }));
  const professionField = page.getByLabel('Profession (catégorie)');
  const ownProfession = await professionField.inputValue();
  await professionField.fill(profession);
  await page.getByLabel('Ville').fill('Brossard');
  await j.submit(page, page.getByRole('button', { name: 'Enregistrer' }), { status: 422 });
  assert.equal(
    await page.locator('#profession-error').innerText(),
    `La profession « ${profession} » est déjà occupée dans ce groupe par ${holder}.`,
  );
  assert.equal(await professionField.getAttribute('aria-invalid'), 'true');
  // What was typed stays in the form.
  assert.equal(await professionField.inputValue(), profession);
  assert.equal(await page.getByLabel('Ville').inputValue(), 'Brossard');

  // Nothing was written.
  await j.visit(page, memberPath);
  const facts = await page.locator('dl.facts').first().innerText();
  assert.match(facts, new RegExp(`Siège\\s+${literally(ownProfession)}`));
  assert.match(facts, /Ville\s+Longueuil/);
});
