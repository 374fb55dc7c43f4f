// Group meetings (issue 14): a representative fills a meeting's sheet on a
// phone, with the keyboard's numbers, and finds it on the member's page.
import assert from 'node:assert/strict';
import { PHONE, journey, scrollsSideways } from '../lib/harness.js';

journey('a representative fills a group meeting on a phone', async (j) => {
  const page = await j.as('representative', { viewport: PHONE });
  // A member of theirs in a group: the member page links to its meetings.
  await j.visit(page, '/membres');
  const members = await page
    .locator('main a[href^="/membres/"]')
    .evaluateAll((as) => [...new Set(as.map((a) => new URL(a.href).pathname))]);
  let meetings = null;
  let member = null;
  for (const m of members.filter((p) => /^\/membres\/\d+$/.test(p)).slice(0, 20)) {
    await j.visit(page, m);
    const link = page.locator('main a[href$="/rencontres"]').first();
    if ((await link.count()) > 0) {
      meetings = new URL(await link.getAttribute('href'), page.url()).pathname;
      member = m;
      break;
    }
  }
  assert.ok(meetings, 'a member page links to the meetings of its group');
  await j.visit(page, meetings);
  assert.equal(await scrollsSideways(page), false, 'the meetings list scrolls sideways');
  // The import page (its CSV example has long lines) fits as well.
  await j.visit(page, `${meetings}/import`);
  assert.equal(await scrollsSideways(page), false, 'the import page scrolls sideways');
  await j.visit(page, meetings);

  // The most recent meeting held: its sheet, one card per member.
  const open = page.locator('main a.button[href*="/rencontres/"]:not([href$="/import"])').first();
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
