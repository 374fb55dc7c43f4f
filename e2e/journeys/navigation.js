// Every page of each role's main navigation opens, and passes axe-core.
import assert from 'node:assert/strict';
import { journey } from '../lib/harness.js';

for (const role of ['direction', 'manager', 'representative', 'billing']) {
  journey(`every page of the ${role} navigation opens`, async (j) => {
    const page = await j.as(role);
    await j.visit(page, '/compte');
    const links = await page
      .getByRole('navigation', { name: 'Navigation principale' })
      .locator('a')
      .evaluateAll((as) => as.map((a) => new URL(a.href).pathname));
    assert.ok(links.length > 0);
    for (const link of links) {
      await j.visit(page, link);
      const current = page.getByRole('navigation', { name: 'Navigation principale' }).locator('[aria-current="page"]');
      assert.equal(await current.count(), 1, `${link}: its link is marked as the current page`);
    }
  });
}

journey('an unknown page answers 404 in French', async (j) => {
  const page = await j.as('representative');
  await j.visit(page, '/membres/999999', { status: 404 });
  assert.match(await page.locator('main').innerText(), /introuvable|n'existe pas/i);
});
