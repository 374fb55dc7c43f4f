// Shared set-up of the browser journeys: one Chromium for the whole run, one
// login per role reused through its storage state, an axe-core check on every
// page a journey reaches, and a full-page screenshot when a journey fails.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const OUT_DIR = fileURLToPath(new URL('../out/', import.meta.url));

export const BASE_URL = process.env.RENOUVO_URL;
if (!BASE_URL) {
  throw new Error('RENOUVO_URL manque : lancez les parcours avec e2e/run');
}

// The demo accounts (src/demo/names.rs, MAIN_USERS) and their home page.
export const ACCOUNTS = {
  direction: { email: 'direction@demo.renouvo.ca', name: 'Hélène Bouchard', home: '/direction' },
  manager: { email: 'gestion.montreal@demo.renouvo.ca', name: 'Marc-André Gagnon', home: '/district' },
  representative: { email: 'rep.montreal@demo.renouvo.ca', name: 'Sophie Lavoie', home: '/aujourdhui' },
  billing: { email: 'facturation@demo.renouvo.ca', name: 'Julie Pelletier', home: '/facturation' },
};
export const DEMO_PASSWORD = 'demo-renouvo';

export const PHONE = { width: 390, height: 844 };

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let browserPromise;
function browser() {
  browserPromise ??= chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  return browserPromise;
}

// Every page axe-core looked at, over the whole run.
const checkedPages = new Set();

after(async () => {
  if (browserPromise) {
    await (await browserPromise).close();
  }
  console.log(`# axe-core : ${checkedPages.size} pages vérifiées`);
  if (process.env.E2E_LIST_PAGES) {
    for (const p of [...checkedPages].sort()) console.log(`#   ${p}`);
  }
});

// Storage state (the session cookie) of each role, filled by its first login.
const sessions = new Map();

async function sessionOf(role) {
  if (!sessions.has(role)) {
    const context = await (await browser()).newContext({ baseURL: BASE_URL });
    try {
      const page = await context.newPage();
      await page.goto('/login');
      await page.getByLabel('Courriel').fill(ACCOUNTS[role].email);
      await page.getByLabel('Mot de passe').fill(DEMO_PASSWORD);
      await submit(page, page.getByRole('button', { name: 'Se connecter' }));
      assert.equal(new URL(page.url()).pathname, ACCOUNTS[role].home, `connexion de ${role}`);
      sessions.set(role, await context.storageState());
    } finally {
      await context.close();
    }
  }
  return sessions.get(role);
}

// Clicks something that submits a form or follows a link, and waits for the
// new page to be loaded. Returns the main document's response.
export async function submit(page, locator) {
  const [response] = await Promise.all([page.waitForNavigation(), locator.click()]);
  return response;
}

// What axe-core found on a page: the serious and critical violations only.
async function axeViolations(page) {
  // Evaluated through the DevTools protocol: the site's Content Security
  // Policy (no inline script) stays in force and is not in the way.
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.evaluate(AXE_SOURCE);
  }
  const result = await page.evaluate(async () => {
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      }));
  });
  return result;
}

function slug(text) {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

// One journey: its browser contexts, the pages it reached and what axe
// said about them.
class Journey {
  constructor(name) {
    this.name = name;
    this.contexts = [];
    this.pages = [];
    this.violations = [];
    this.checked = new Set();
  }

  // A new page logged in as `role` (`null`: not logged in).
  async as(role, { viewport } = {}) {
    const context = await (await browser()).newContext({
      baseURL: BASE_URL,
      storageState: role ? await sessionOf(role) : undefined,
      viewport: viewport ?? { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    this.contexts.push(context);
    const page = await context.newPage();
    this.pages.push(page);
    return page;
  }

  // Opens `url` and checks the answer and the page's accessibility.
  async visit(page, url, { status = 200 } = {}) {
    const response = await page.goto(url);
    assert.equal(response?.status(), status, `réponse de ${url}`);
    await this.check(page);
    return response;
  }

  // Submits (clicks `locator`), then checks the new page.
  async submit(page, locator, { status } = {}) {
    const response = await submit(page, locator);
    if (status !== undefined) {
      assert.equal(response.status(), status, `réponse de ${page.url()}`);
    } else {
      assert.ok(response.status() < 400, `réponse ${response.status()} de ${page.url()}`);
    }
    await this.check(page);
    return response;
  }

  // Runs axe-core on the page as it is now (once per distinct content).
  async check(page) {
    const key = `${page.url()} ${await page.evaluate(() => document.body.innerText.length)}`;
    if (this.checked.has(key)) return;
    this.checked.add(key);
    checkedPages.add(page.url().replace(BASE_URL, ''));
    for (const v of await axeViolations(page)) {
      this.violations.push({ page: page.url(), ...v });
    }
  }

  assertAccessible() {
    const lines = this.violations.map(
      (v) => `  [${v.impact}] ${v.id} (${v.help}) sur ${v.page}\n${v.targets.map((t) => `      ${t}`).join('\n')}`,
    );
    assert.equal(lines.length, 0, `violations d'accessibilité (axe-core) :\n${lines.join('\n')}`);
  }

  async screenshots() {
    mkdirSync(OUT_DIR, { recursive: true });
    const paths = [];
    for (const [i, page] of this.pages.entries()) {
      if (page.isClosed()) continue;
      const file = path.join(OUT_DIR, `${slug(this.name)}-${i + 1}.png`);
      try {
        await page.screenshot({ path: file, fullPage: true });
        paths.push(file);
      } catch {
        // A page that cannot be captured does not hide the journey's failure.
      }
    }
    return paths;
  }

  async close() {
    for (const context of this.contexts) {
      await context.close();
    }
  }
}

// Declares a journey: a test with its own browser contexts, screenshots
// under e2e/out/ when it fails, and no serious or critical axe violation.
export function journey(name, body) {
  test(name, async () => {
    const j = new Journey(name);
    try {
      await body(j);
      j.assertAccessible();
    } catch (error) {
      const shots = await j.screenshots();
      for (const shot of shots) {
        console.log(`# capture d'écran : ${shot}`);
      }
      if (error instanceof Error && shots.length > 0) {
        error.message += `\nCaptures d'écran : ${shots.join(', ')}`;
      }
      throw error;
    } finally {
      await j.close();
    }
  });
}

// Whether the page scrolls sideways (wider than the window).
export async function scrollsSideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

// `text` as a regular expression that matches it literally.
export function literally(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// « de Sophie » or « d'Émilie », as the site writes it, as a pattern.
export function ofName(name) {
  return `d(?:e |')${literally(name)}`;
}
