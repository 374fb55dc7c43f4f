// An escalation raised by a representative, handed up by the district
// manager to direction, and resolved there.
import assert from 'node:assert/strict';
import { journey, ofName } from '../lib/harness.js';

journey('an escalation goes up to direction and is resolved', async (j) => {
  const rep = await j.as('representative');
  const manager = await j.as('manager');
  const direction = await j.as('direction');

  // The representative raises it to the district.
  await j.visit(rep, '/membres');
  const member = rep.locator('tbody tr').nth(2).locator('td[data-label="Membre"] a').first();
  const name = (await member.innerText()).trim();
  await j.submit(rep, member);
  const memberPath = new URL(rep.url()).pathname;
  const situation = `${name} conteste sa facture : il faut une décision du district.`;
  const form = rep.locator('#escalade-form');
  await form.getByLabel('À qui').selectOption({ label: 'District' });
  await form.getByLabel('Situation et demande').fill(situation);
  await j.submit(rep, form.getByRole('button', { name: 'Escalader' }));
  assert.equal(await rep.getByRole('status').innerText(), `Escalade pour ${name} enregistrée.`);
  const raised = rep.locator('#escalades li', { hasText: situation });
  assert.match(await raised.innerText(), /Ouverte/);
  const districtPath = new URL(await raised.locator('a').first().evaluate((a) => a.href)).pathname;

  // The district manager takes it, then hands it up to direction.
  await j.visit(manager, districtPath);
  await j.submit(manager, manager.getByRole('button', { name: 'Prendre en charge' }));
  assert.match(await manager.getByRole('status').innerText(), new RegExp(`^Escalade ${ofName(name)} prise en charge\\.$`));
  await manager.getByLabel(/Escalader au niveau supérieur \(Direction\)/).fill('Hors de ma marge de manœuvre : rabais demandé trop grand.');
  await j.submit(manager, manager.getByRole('button', { name: 'Escalader au niveau supérieur' }));
  const directionPath = new URL(manager.url()).pathname;
  assert.notEqual(directionPath, districtPath);
  assert.match(await manager.getByRole('status').innerText(), /transmise au niveau supérieur/);
  assert.match(await manager.locator('.badges').innerText(), /Niveau : Direction/);

  // Direction finds it in its queue and resolves it.
  await j.visit(direction, '/escalades');
  const queued = direction.locator(`a[href="${directionPath}"]`).first();
  assert.equal(await queued.count(), 1, 'the escalation is in the direction queue');
  await j.submit(direction, queued);
  await direction.getByLabel('Actions prises').fill('Rabais de 10 % accordé, le membre renouvelle.');
  await j.submit(direction, direction.getByRole('button', { name: 'Résoudre' }));
  assert.match(await direction.getByRole('status').innerText(), new RegExp(`^Escalade ${ofName(name)} résolue\\.$`));
  assert.match(await direction.locator('.badges').innerText(), /Résolue/);

  // The representative sees the answer on the member page.
  await j.visit(rep, memberPath);
  const chain = rep.locator('#escalades li', { hasText: 'Direction' }).first();
  assert.match(await chain.innerText(), /Résolue/);
  await j.submit(rep, chain.locator('a').first());
  assert.match(await rep.locator('main').innerText(), /Rabais de 10 % accordé, le membre renouvelle\./);
});
