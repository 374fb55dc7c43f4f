// « Aujourd'hui », the member pages and the reports on a phone: nothing
// scrolls sideways.
import assert from 'node:assert/strict';
import { PHONE, journey, scrollsSideways } from '../lib/harness.js';

journey('« Aujourd\'hui » and the member pages fit a phone screen', async (j) => {
  const page = await j.as('representative', { viewport: PHONE });
  await j.visit(page, '/aujourdhui');
  assert.equal(await scrollsSideways(page), false, "« Aujourd'hui » scrolls sideways");
  // Every member « Aujourd'hui » links to (their pages differ by their data:
  // a long email address, billing requests, escalations).
  const members = await page
    .locator('main a[href^="/membres/"]')
    .evaluateAll((as) => [...new Set(as.map((a) => new URL(a.href).pathname))]);
  assert.ok(members.length > 0);
  for (const member of members.slice(0, 12)) {
    await j.visit(page, member);
    assert.equal(await scrollsSideways(page), false, `${member} scrolls sideways`);
  }
  // The follow-up form is within reach.
  const save = page.getByRole('button', { name: 'Enregistrer le suivi' });
  const box = await save.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, 'the save button is on screen');
});

journey('the lists and reports fit a phone screen', async (j) => {
  const page = await j.as('manager', { viewport: PHONE });
  for (const path of ['/district', '/membres', '/escalades', '/rapports', '/rapports/retention', '/rapports/departs', '/rapports/a-venir', '/rapports/suivi', '/rapports/equipe', '/rapports/calibration']) {
    await j.visit(page, path);
    assert.equal(await scrollsSideways(page), false, `${path} scrolls sideways`);
  }
});
