// Files and the autosave: a scenario saved as JSON and opened again (the Open button and
// a file dropped on the page), a bad file refused without losing the work, the history
// saved as EDN that the CLI's checker reads, and work that survives a reload and a
// hostile link.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { collectErrors, startSite, waitUntil } from './support.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = process.env.DSPLAY_CLI ?? path.join(ROOT, 'target', 'debug', 'dsplay');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'dsplay-files-'));

let site;

before(async () => {
  site = await startSite();
});

after(async () => {
  await site?.close();
});

const title = (page) => page.locator('.scenario-info h2').textContent();

test('a scenario saved as JSON opens again, by the Open button and by a drop, and a bad file changes nothing', async () => {
  const context = await site.browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(`${site.url}?preset=partition`);
  await waitUntil(page, 'the partition preset opens', () => document.querySelector('.scenario-info h2')?.textContent === 'Partition: the minority side refuses rather than lies');

  const [download] = await Promise.all([page.waitForEvent('download'), page.selectOption('#file-menu', 'save')]);
  const saved = path.join(scratch, download.suggestedFilename());
  await download.saveAs(saved);
  const file = JSON.parse(readFileSync(saved, 'utf8'));
  const preset = JSON.parse(readFileSync(path.join(ROOT, 'scenarios', 'partition.json'), 'utf8'));
  assert.equal(file.name, preset.name);
  assert.equal(file.nodes.length, preset.nodes.length);
  assert.equal(JSON.parse(execFileSync(CLI, ['run', saved, '--until-ms', '2000', '--json'], { encoding: 'utf8' })).fingerprint,
    JSON.parse(execFileSync(CLI, ['run', path.join(ROOT, 'scenarios', 'partition.json'), '--until-ms', '2000', '--json'], { encoding: 'utf8' })).fingerprint,
    'the saved file runs as the preset does');

  // Open another scenario's file with the Open button.
  const feed = readFileSync(path.join(ROOT, 'scenarios', 'sequential-feed.json'));
  await page.setInputFiles('#open-file', { name: 'feed.json', mimeType: 'application/json', buffer: feed });
  await waitUntil(page, 'the file opens', () => document.querySelector('.scenario-info h2')?.textContent === 'A news feed in one order');
  assert.match(await page.locator('[data-field="announcement"]').textContent(), /^Opened feed\.json: A news feed in one order\. Undo goes back\.$/);

  // A bad file is refused with a sentence; the scenario shown stays.
  await page.setInputFiles('#open-file', { name: 'evil.json', mimeType: 'application/json', buffer: Buffer.from('<script>alert(1)</script>') });
  await waitUntil(page, 'the bad file is refused', () => /^evil\.json cannot be opened: /.test(document.querySelector('.error-banner[role="alert"]')?.textContent ?? ''));
  assert.equal(await title(page), 'A news feed in one order');

  // Drop the saved partition file on the page.
  const text = readFileSync(saved, 'utf8');
  const transfer = await page.evaluateHandle((contents) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([contents], 'dropped.json', { type: 'application/json' }));
    return transfer;
  }, text);
  await page.dispatchEvent('.app', 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent('.app', 'drop', { dataTransfer: transfer });
  await waitUntil(page, 'the dropped file opens', () => document.querySelector('.scenario-info h2')?.textContent === 'Partition: the minority side refuses rather than lies');

  // Undo steps back through the opened files.
  await page.click('#undo');
  await waitUntil(page, 'undo brings the feed back', () => document.querySelector('.scenario-info h2')?.textContent === 'A news feed in one order');
  assert.deepEqual(errors, [], 'no console errors');
  await context.close();
});

test('the history saves as EDN that dsplay check reads', async () => {
  const context = await site.browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(`${site.url}?preset=sequential-feed`);
  await waitUntil(page, 'the feed plays', () => document.querySelector('#play')?.textContent === 'Pause');
  await page.click('#play');
  await page.locator('#scrubber').fill('6000');
  await waitUntil(page, 'at 6 s', () => document.querySelector('[data-field="time"]').textContent === '6.000 s');
  const [download] = await Promise.all([page.waitForEvent('download'), page.selectOption('#file-menu', 'history')]);
  const saved = path.join(scratch, 'history.edn');
  await download.saveAs(saved);
  assert.equal(download.suggestedFilename(), 'a-news-feed-in-one-order.edn');
  const verdict = JSON.parse(execFileSync(CLI, ['check', saved, '--model', 'sequential', '--json'], { encoding: 'utf8' }));
  assert.equal(verdict.valid, true);
  assert.ok(readFileSync(saved, 'utf8').includes(':invoke'));
  assert.deepEqual(errors, [], 'no console errors');
  await context.close();
});

test('the work survives a reload, and a hostile link leaves it intact', async () => {
  const context = await site.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(`${site.url}?preset=strict-password`);
  await waitUntil(page, 'the preset opens', () => document.querySelector('#preset')?.value === 'strict-password');
  await page.locator('#seed').fill('4242');
  await page.locator('#seed').press('Enter');
  await waitUntil(page, 'the seed is taken', () => document.querySelector('#seed').value === '4242');
  await waitUntil(page, 'the work is saved', () => (window.localStorage.getItem('dsplay.autosave') ?? '').startsWith('v2/'));
  const fingerprint = async () => page.locator('[data-field="fingerprint"]').textContent();

  await page.goto(site.url);
  await waitUntil(page, 'the saved work opens', () => document.querySelector('#seed')?.value === '4242' && document.querySelector('#preset').value === 'shared');
  assert.equal(await page.locator('#preset option[value="shared"]').textContent(), 'Your work (saved in this browser)');
  assert.equal(await title(page), 'Strict: an account password update');

  for (const fragment of ['#v2/0/%%%', `#v2/0/${Buffer.from('not deflate').toString('base64url')}`, '#v99/0/x']) {
    await page.goto(`${site.url}${fragment}`);
    await page.reload();
    await waitUntil(page, `the banner for ${fragment}`, () => !!document.querySelector('.error-banner[role="alert"]'));
    await waitUntil(page, 'the saved work is still what opens', () => document.querySelector('#seed')?.value === '4242');
    assert.equal(await title(page), 'Strict: an account password update');
  }
  assert.ok((await fingerprint()).length > 0);
  assert.deepEqual(errors, [], 'no console errors');
  await context.close();
});
