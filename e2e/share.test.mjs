// Share: a user breaks a run, scrubs to a moment and presses Share; the link opens in a
// fresh page on the same run at the same moment (same fingerprint, the fault in the
// lane). A damaged or hostile link says what is wrong and opens the default scenario.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { artifactPath, collectErrors, startSite, waitUntil } from './support.mjs';

let site;

before(async () => {
  site = await startSite();
});

after(async () => {
  await site?.close();
});

async function freshPage(url) {
  const page = await site.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = collectErrors(page);
  await page.goto(url);
  return { page, errors };
}

const field = (page, name) => page.locator(`[data-field="${name}"]`).textContent();

test('a shared link opens the same run at the same moment, faults and all', async () => {
  const { page, errors } = await freshPage(`${site.url}?preset=sequential-feed`);
  await waitUntil(page, 'the feed plays', () => document.querySelector('#play')?.textContent === 'Pause');
  await page.click('#play');
  await page.locator('#scrubber').fill('2500');
  await waitUntil(page, 'the cursor is at 2.5 s', () => document.querySelector('[data-field="time"]').textContent === '2.500 s');
  await page.getByRole('button', { name: /^Replica r3, / }).click();
  await page.getByRole('button', { name: /^Crash r3 for 3 seconds/ }).click();
  await page.locator('#scrubber').fill('4000');
  await waitUntil(page, 'the cursor is at 4 s', () => document.querySelector('[data-field="time"]').textContent === '4.000 s');
  await page.click('#share');
  await waitUntil(page, 'the link is shown', () => /#v2\/4000\//.test(document.querySelector('#share-link')?.value ?? ''));
  const link = await page.locator('#share-link').inputValue();
  assert.equal(link, page.url(), 'the address bar holds the link too');
  const sharedFingerprint = await field(page, 'fingerprint');

  const opened = await freshPage(link);
  await waitUntil(opened.page, 'the link opens its scenario', () => document.querySelector('.scenario-info h2')?.textContent === 'A news feed in one order');
  await waitUntil(opened.page, 'at 4 s, paused', () => document.querySelector('[data-field="time"]').textContent === '4.000 s' && document.querySelector('#play').textContent === 'Play');
  assert.equal(await field(opened.page, 'fingerprint'), sharedFingerprint, 'the same run');
  assert.equal(await opened.page.locator('.fault-mark').count(), 1, 'the crash came along');
  assert.equal(await opened.page.locator('#preset').inputValue(), 'shared');
  await opened.page.screenshot({ path: await artifactPath('share-opened.png') });
  // Picking another scenario drops the link from the address.
  await opened.page.selectOption('#preset', 'gossip-ring');
  await waitUntil(opened.page, 'the fragment is gone', () => window.location.hash === '');
  assert.deepEqual([...errors, ...opened.errors], [], 'no console errors');
  await opened.page.close();
  await page.close();
});

test('a damaged or hostile link is refused with a reason, and the page still opens', async () => {
  for (const [fragment, reason] of [
    ['#v1/0/%%%notbase64', /not valid base64url/],
    ['#v7/0/e30', /made by a newer dsplay/],
    ['#hello', /not a dsplay scenario link/],
    [`#v1/0/${Buffer.from('<img src=x onerror=alert(1)>').toString('base64url')}`, /scenario cannot be opened/],
    [`#v1/0/${Buffer.from('{"version": 1, "name": "x"}').toString('base64url')}`, /scenario cannot be opened/],
    // Eight megabytes of spaces, deflated to a few kilobytes: refused while inflating.
    [`#v2/0/${deflateRawSync(Buffer.alloc(8 << 20, 32), { level: 9 }).toString('base64url')}`, /unpacks to more than 4 MB/],
    [`#v2/0/${Buffer.from('not deflate at all').toString('base64url')}`, /does not unpack/],
  ]) {
    const { page, errors } = await freshPage(`${site.url}${fragment}`);
    await waitUntil(page, `the refusal of ${fragment.slice(0, 20)} is shown`, (pattern) => new RegExp(pattern).test(document.querySelector('.error-banner[role="alert"]')?.textContent ?? ''), reason.source);
    await waitUntil(page, 'the default scenario opens anyway', () => document.querySelector('.scenario-info h2')?.textContent === 'Gossip on a ring');
    assert.equal(await page.locator('img').count(), 0, 'nothing from the link became HTML');
    assert.deepEqual(errors, [], `no console errors for ${fragment.slice(0, 20)}`);
    await page.close();
  }
});

test('a link of the first format, as older pages wrote it, still opens', async () => {
  const json = readFileSync(new URL('../scenarios/sequential-feed.json', import.meta.url), 'utf8');
  const compact = JSON.stringify(JSON.parse(json));
  const { page, errors } = await freshPage(`${site.url}#v1/3000/${Buffer.from(compact).toString('base64url')}`);
  await waitUntil(page, 'the old link opens its scenario at 3 s', () => document.querySelector('.scenario-info h2')?.textContent === 'A news feed in one order' && document.querySelector('[data-field="time"]').textContent === '3.000 s');
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});
