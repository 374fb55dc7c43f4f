// CSV exports and reports.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { journey } from '../lib/harness.js';

journey('a representative downloads the member list as CSV and reads it', async (j) => {
  const page = await j.as('representative');
  await j.visit(page, '/membres');
  const link = page.getByRole('link', { name: 'Exporter (CSV Excel)' });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.equal(download.suggestedFilename(), 'membres.csv');
  assert.equal(await download.failure(), null, 'the download completes');
  const text = await readFile(await download.path(), 'utf8');
  assert.ok(text.startsWith('\uFEFF'), 'a BOM, so that Excel reads UTF-8');
  const [header, ...rows] = text.slice(1).trimEnd().split(/\r?\n/);
  const columns = header.split(';');
  assert.deepEqual(columns.slice(0, 4), ['Nom', 'Prénom', 'Entreprise', 'Profession']);
  assert.ok(rows.length > 0, 'at least one member');
  const first = rows[0].split(';');
  assert.equal(first.length, columns.length);
  assert.equal(first[columns.indexOf('Représentant·e')], 'Sophie Lavoie');
  // The first member of the page is the first row of the file.
  const shown = await page.locator('tbody tr').first().locator('td[data-label="Membre"] a').first().innerText();
  assert.equal(shown.trim(), `${first[1]} ${first[0]}`);
});

// The reports with a chart; « Équipe » is a table only.
const CHARTED = ['/rapports/retention', '/rapports/departs', '/rapports/a-venir', '/rapports/suivi', '/rapports/calibration'];

journey('each report shows its chart', async (j) => {
  const page = await j.as('direction');
  await j.visit(page, '/rapports');
  const listed = await page
    .locator('main a[href^="/rapports/"]')
    .evaluateAll((as) => [...new Set(as.map((a) => new URL(a.href).pathname).filter((p) => !p.endsWith('.csv')))]);
  assert.deepEqual(listed.sort(), [...CHARTED, '/rapports/equipe'].sort());
  for (const report of CHARTED) {
    await j.visit(page, report);
    const chart = page.locator('main svg.chart-svg[role="img"]').first();
    assert.ok(await chart.isVisible(), `${report} draws a chart`);
    assert.ok((await chart.locator('rect.seg').count()) > 0, `${report}: the chart has bars`);
  }
  await j.visit(page, '/rapports/equipe');
  assert.ok((await page.locator('table.report tbody tr').count()) > 0, 'the team report lists the representatives');
});

journey('a district manager reads the reports of the district', async (j) => {
  const page = await j.as('manager');
  await j.visit(page, '/rapports/retention');
  assert.ok(await page.locator('main svg.chart-svg').first().isVisible());
  await j.visit(page, '/rapports/equipe');
  const reps = await page.locator('table.report tbody th[scope="row"]').allInnerTexts();
  assert.ok(reps.length > 0);
  assert.ok(reps.some((r) => r.includes('Sophie Lavoie')), 'a representative of the district');
  // Nobody from the other districts.
  assert.ok(!reps.some((r) => /Capitale-Nationale|Montérégie/.test(r)), `only the district: ${reps.join(' / ')}`);
});
