// The page and the CLI run the same engine (wasm and native): for every preset, the
// fingerprint and the counts the page shows at 2 s of virtual time (events, messages in
// flight, operations ok, failed and unknown) equal those of
// `dsplay run SCENARIO --until-ms 2000`.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { openSite, waitUntil } from './support.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = process.env.DSPLAY_CLI ?? path.join(ROOT, 'target', 'debug', 'dsplay');

let site;

before(async () => {
  site = await openSite();
});

after(async () => {
  await site?.close();
});

test('every preset shows the same fingerprint as the CLI at the same time', async () => {
  const { page, errors } = site;
  // The page renders asynchronously once its wasm has loaded.
  await waitUntil(page, 'the preset list is there', () => document.querySelectorAll('#preset option').length > 1);
  const presets = await page.locator('#preset option').evaluateAll((options) => options.map((option) => option.value).filter((id) => id !== 'empty'));
  assert.ok(presets.length >= 10, `presets: ${presets}`);
  for (const id of presets) {
    await page.selectOption('#preset', id);
    await waitUntil(page, `${id} is playing`, () => document.querySelector('#play').textContent === 'Pause');
    await page.click('#play');
    await page.locator('#scrubber').fill('2000');
    await waitUntil(page, `${id} shows 2 s`, () => document.querySelector('[data-field="time"]').textContent === '2.000 s');
    const count = async (field) => Number(await page.locator(`[data-field="${field}"]`).textContent());
    const shown = {
      fingerprint: (await page.locator('[data-field="fingerprint"]').textContent()).replace('Fingerprint ', ''),
      events: await count('events'),
      in_flight: await count('in-flight'),
      ops_ok: await count('ops-ok'),
      ops_fail: await count('ops-fail'),
      ops_info: await count('ops-info'),
    };
    const cli = JSON.parse(execFileSync(CLI, ['run', path.join(ROOT, 'scenarios', `${id}.json`), '--until-ms', '2000', '--json'], { encoding: 'utf8' }));
    const expected = { fingerprint: cli.fingerprint, events: cli.events, in_flight: cli.in_flight, ops_ok: cli.ops_ok, ops_fail: cli.ops_fail, ops_info: cli.ops_info };
    assert.deepEqual(shown, expected, `${id}: the page and the CLI disagree at 2 s`);
  }
  assert.deepEqual(errors, [], `the page logged errors:\n${errors.join('\n')}`);
});
