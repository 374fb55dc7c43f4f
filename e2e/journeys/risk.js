// The renewal risk (issue 14): a representative reads « Membres à risque »
// on a phone, each member with the facts that weigh most, opens one, and
// orders the day's stages by risk; the district manager's home lists the
// members at highest risk; everyone can read how the score is made.
import assert from 'node:assert/strict';
import { PHONE, journey, scrollsSideways } from '../lib/harness.js';

journey('a representative reads the members at risk on a phone', async (j) => {
  const page = await j.as('representative', { viewport: PHONE });
  await j.visit(page, '/risque');
  assert.equal(await scrollsSideways(page), false, 'the list scrolls sideways');
  const scores = await page
    .locator('main table .badge.risk')
    .evaluateAll((bs) => bs.map((b) => Number(b.textContent.match(/Risque (\d+)/)[1])));
  assert.ok(scores.length > 0, 'members listed with their score');
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'highest risk first');
  const first = page.locator('main table tbody tr').first();
  assert.match(await first.locator('ul.risk-facts').innerText(), /points\)/);

  // The member's page explains the whole score.
  const name = await first.locator('a[href^="/membres/"]').innerText();
  await j.submit(page, first.locator('a[href^="/membres/"]'));
  const section = page.locator('section[aria-labelledby="risque-title"]');
  assert.match(await section.locator('h2').innerText(), /Risque de non-renouvellement : \d+ sur 100/);
  assert.ok((await section.locator('ul.risk-facts li').count()) > 0, `facts for ${name}`);

  // The day's stages ordered by risk.
  await j.visit(page, '/aujourdhui?ordre=risque');
  assert.match(await page.locator('.todo-order').innerText(), /risque de non-renouvellement/);
  assert.equal(await scrollsSideways(page), false, 'Aujourd\'hui scrolls sideways');
});

journey('the district home names the members at highest risk', async (j) => {
  const page = await j.as('manager');
  await j.visit(page, '/district');
  const block = page.locator('section[aria-labelledby="risk-title"]');
  assert.ok((await block.locator('tbody tr').count()) > 0, 'members at risk on the home');
  assert.match(await block.locator('ul.risk-facts').first().innerText(), /points\)/);
  await j.submit(page, block.getByRole('link', { name: /Voir tous les membres à risque/ }));
  await j.visit(page, '/risque/formule');
  assert.match(await page.locator('main table').innerText(), /Point de départ/);
});
