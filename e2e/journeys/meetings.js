// Group meetings (issue 14): a representative fills a meeting's sheet on a
// phone, with the keyboard's numbers, and finds it on the member's page.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { PHONE, journey, scrollsSideways } from '../lib/harness.js';

// A member of the representative's in a group (its member page links to the
// group's meetings): the member page's path and the meetings list's path.
async function memberInAGroup(j, page) {
  await j.visit(page, '/membres');
  const members = await page
    .locator('main a[href^="/membres/"]')
    .evaluateAll((as) => [...new Set(as.map((a) => new URL(a.href).pathname))]);
  for (const member of members.filter((p) => /^\/membres\/\d+$/.test(p)).slice(0, 20)) {
    await j.visit(page, member);
    const link = page.locator('main a[href$="/rencontres"]').first();
    if ((await link.count()) > 0) {
      return { member, meetings: new URL(await link.getAttribute('href'), page.url()).pathname };
    }
  }
  assert.fail('a member page links to the meetings of its group');
}

// The newest meeting's sheet on the meetings list (not the import button).
const SHEET_LINK = 'main a.button[href*="/rencontres/"]:not([href$="/import"])';

journey('a representative fills a group meeting on a phone', async (j) => {
  const page = await j.as('representative', { viewport: PHONE });
  const { member, meetings } = await memberInAGroup(j, page);
  await j.visit(page, meetings);
  assert.equal(await scrollsSideways(page), false, 'the meetings list scrolls sideways');
  // The import page (its CSV example has long lines) fits as well.
  await j.visit(page, `${meetings}/import`);
  assert.equal(await scrollsSideways(page), false, 'the import page scrolls sideways');
  await j.visit(page, meetings);

  // The most recent meeting held: its sheet, one card per member.
  const open = page.locator(SHEET_LINK).first();
  await j.submit(page, open);
  assert.equal(await scrollsSideways(page), false, 'the sheet scrolls sideways');
  const id = member.split('/').pop();
  const received = page.locator(`input[name="recues-${id}"]`);
  assert.equal(await received.getAttribute('inputmode'), 'numeric');
  const before = Number(await received.inputValue()) || 0;
  await received.fill(String(before + 2));
  await j.submit(page, page.getByRole('button', { name: 'Enregistrer la feuille' }));
  assert.match(await page.locator('p.notice').innerText(), /Feuille enregistrée/);
  assert.equal(await page.locator(`input[name="recues-${id}"]`).inputValue(), String(before + 2));

  // Bad input stays in its field with a message by it.
  await page.locator(`input[name="recues-${id}"]`).fill('-1');
  await j.submit(page, page.getByRole('button', { name: 'Enregistrer la feuille' }), { status: 422 });
  assert.equal(await page.locator(`input[name="recues-${id}"]`).inputValue(), '-1');
  assert.match(await page.locator('.field-error').first().innerText(), /négatif/);

  // The member's page shows the group block.
  await j.visit(page, member);
  assert.match(await page.locator('main').innerText(), /Présence et références dans le groupe/);
});

journey('a representative imports a meeting from a CSV file, reads the refusals and confirms', async (j) => {
  const page = await j.as('representative');
  const { member, meetings } = await memberInAGroup(j, page);
  await j.visit(page, meetings);
  const sheet = new URL(await page.locator(SHEET_LINK).first().getAttribute('href'), page.url()).pathname;
  const date = sheet.split('/').pop();
  const id = member.split('/').pop();
  // One line for the member, one for a number nobody has.
  const csv = `Date;N° de membre;Présence;Références reçues\n${date};${id};présent;7\n${date};999999999;présent;0\n`;

  await j.visit(page, `${meetings}/import`);
  await page.locator('input[name="fichier"]').setInputFiles({
    name: 'rencontre.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv, 'utf8'),
  });
  await j.submit(page, page.getByRole('button', { name: "Voir l'aperçu" }));
  const preview = await page.locator('main').innerText();
  assert.match(preview, /aucun membre n° 999999999/);
  assert.match(await page.locator('.import-count.refused .count').innerText(), /^1$/);

  // Every line's outcome as a file, in the file's order.
  const link = page.getByRole('link', { name: 'Exporter (CSV Excel)' });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.equal(await download.failure(), null, 'the download completes');
  const rows = (await readFile(await download.path(), 'utf8')).slice(1).trimEnd().split(/\r?\n/);
  assert.equal(rows.length, 3, 'a header and the two lines');
  assert.match(rows[2], /^3;refusée;/);

  // Confirmed without the refused line: the sheet shows the imported figure.
  await j.submit(page, page.getByRole('button', { name: 'Confirmer sans les lignes refusées' }));
  assert.match(await page.locator('p.notice').innerText(), /1 refusée/);
  await j.visit(page, sheet);
  assert.equal(await page.locator(`input[name="recues-${id}"]`).inputValue(), '7');
});
