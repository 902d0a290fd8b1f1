// The built page carries a Content-Security-Policy that allows only its own scripts,
// wasm and worker, and nothing the page does breaks it: playing, the worker's checks, a
// comparison, the diagrams, a download.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { collectErrors, startSite, waitUntil } from './support.mjs';

let site;

before(async () => {
  site = await startSite();
});

after(async () => {
  await site?.close();
});

test('the page runs under its Content-Security-Policy without a violation', async () => {
  const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = collectErrors(page);
  await page.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (event) => window.violations.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
  await page.goto(`${site.url}?preset=partition-tradeoff`);
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/);
  assert.doesNotMatch(policy, /script-src[^;]*'unsafe-inline'/, 'no inline script but the start-up one');
  assert.match(policy, /worker-src 'self'/);
  await waitUntil(page, 'the worker checks the run', () => /holds|violated/.test(document.querySelector('[data-field="verdict"]')?.className ?? ''));
  await page.click('#tab-compare');
  await page.click('#compare-run');
  await waitUntil(page, 'a comparison runs in its worker', () => document.querySelectorAll('#compare-table tbody tr').length >= 2, undefined, 60_000);
  for (const tab of ['history', 'spacetime', 'metrics']) {
    await page.click(`#tab-${tab}`);
    await page.waitForTimeout(300);
  }
  assert.deepEqual(await page.evaluate(() => window.violations), [], 'no CSP violation');
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});
