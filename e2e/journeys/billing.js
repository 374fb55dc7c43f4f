// A billing request from « demandée » to « payée », each step by the person
// whose job it is.
import assert from 'node:assert/strict';
import { journey, ofName } from '../lib/harness.js';

// The request's status on the member page (its list of requests).
async function statusOnFile(page) {
  return page.locator('#facturation ul.plain-list > li').first().locator('.badge').innerText();
}

// The queue row of `name`, found with the queue's search.
async function queueRow(j, page, name) {
  await j.visit(page, `/facturation?q=${encodeURIComponent(name)}`);
  const row = page.locator('tbody tr', { hasText: name });
  assert.equal(await row.count(), 1, `${name} in the billing queue`);
  return row;
}

journey('a billing request goes from requested to paid, step by step', async (j) => {
  const rep = await j.as('representative');
  const billing = await j.as('billing');

  // The representative sends the request the current step asks for.
  await j.visit(rep, '/aujourdhui');
  const link = rep.locator('section[aria-labelledby="billing-title"] ul.plain-list a').first();
  const name = await link.innerText();
  await j.submit(rep, link);
  const memberPath = new URL(rep.url()).pathname;
  const form = rep.locator('form.billing-form');
  await form.getByLabel(/Renouvelle tel quel/).check();
  await form.getByLabel('Montant convenu ($ CA, facultatif)').fill('1250');
  await form.getByLabel(/Note pour la facturation/).fill('Rabais de fidélité discuté.');
  await j.submit(rep, form.getByRole('button', { name: 'Envoyer à la facturation' }));
  assert.equal(new URL(rep.url()).pathname, memberPath);
  assert.equal(await statusOnFile(rep), 'Demandée');

  // Billing sends the invoice.
  let row = await queueRow(j, billing, name);
  assert.match(await row.locator('td[data-label="Décision"]').innerText(), /Renouvelle tel quel/);
  assert.match(await row.locator('td[data-label="Montant"]').innerText(), /1\s?250/);
  await j.submit(billing, row.getByRole('button', { name: 'Facture envoyée' }));
  assert.match(await billing.getByRole('status').innerText(), new RegExp(`^Facture ${ofName(name)} marquée comme envoyée\\.$`));

  // The representative confirms the member received it.
  await j.visit(rep, memberPath);
  assert.equal(await statusOnFile(rep), 'Facture envoyée');
  await j.submit(rep, rep.getByRole('button', { name: 'Le membre a reçu sa facture' }));
  assert.equal(new URL(rep.url()).pathname, memberPath);
  assert.equal(await statusOnFile(rep), 'Facture reçue par le membre');

  // Billing records the payment, after a confirmation page.
  row = await queueRow(j, billing, name);
  await j.submit(billing, row.getByRole('button', { name: 'Paiement reçu' }));
  assert.match(await billing.locator('h1').innerText(), new RegExp(`^Enregistrer le paiement ${ofName(name)} \\?$`));
  await j.submit(billing, billing.getByRole('button', { name: 'Oui, le paiement est reçu' }));
  assert.match(
    await billing.getByRole('status').innerText(),
    new RegExp(`^Paiement ${ofName(name)} enregistré : son renouvellement est inscrit au dossier\\.$`),
  );

  // The member file shows the request paid and the renewal recorded.
  await j.visit(rep, memberPath);
  assert.equal(await statusOnFile(rep), 'Payée');
  assert.ok(await rep.getByRole('heading', { name: 'Renouvellements passés' }).isVisible());
  assert.match(await rep.locator('#facturation').innerText(), /Enregistré le .* par Julie Pelletier/);
});

journey('a representative cannot reach the billing queue', async (j) => {
  const rep = await j.as('representative');
  const response = await rep.goto('/facturation');
  assert.equal(response.status(), 403);
  await j.check(rep);
});
