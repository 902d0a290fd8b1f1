// Keyboard only: a person who does not use a mouse picks a scenario, selects the leader
// from the node list, crashes it, watches a new leader get elected, and plays and pauses.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { artifactPath, openSite, waitUntil } from './support.mjs';

let site;

before(async () => {
  site = await openSite();
});

after(async () => {
  await site?.close();
});

/** Presses Tab until the focused element matches `predicate` (at most 200 presses). */
async function tabTo(page, description, predicate) {
  for (let presses = 0; presses < 200; presses += 1) {
    if (await page.evaluate(predicate)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${description}`);
}

test('pick a scenario, crash the leader and see a new one elected, with the keyboard alone', async () => {
  const { page, errors } = site;
  await tabTo(page, 'the scenario picker', () => document.activeElement?.id === 'preset');
  // A keyboard user picks with the select's own keys; selectOption stands in for them on
  // the focused element (each pick remounts the playground, so arrow-stepping through
  // the options would lose focus after the first).
  await page.locator('#preset').selectOption('strict-password');
  await waitUntil(page, 'the strict preset shows', () => document.querySelector('.scenario-info h2')?.textContent.startsWith('Strict'));
  await waitUntil(page, 'a leader is elected', () => [...document.querySelectorAll('.node-button')].some((b) => / leader, up$/.test(b.textContent)));
  const leader = await page.evaluate(() => [...document.querySelectorAll('.node-button')].find((b) => / leader, up$/.test(b.textContent)).textContent);
  await tabTo(page, `the node button "${leader}"`, () => / leader, up$/.test(document.activeElement?.textContent ?? '') && document.activeElement.classList.contains('node-button'));
  await page.keyboard.press('Enter');
  await tabTo(page, 'the crash button', () => /^Crash .* for 3 seconds/.test(document.activeElement?.getAttribute('aria-label') ?? ''));
  await page.keyboard.press('Enter');
  await waitUntil(page, 'the crash is announced', () => / crashed for 3\.0 s at /.test(document.querySelector('[data-field="announcement"]').textContent));
  const crashed = leader.split(' ')[1].replace(',', '');
  await waitUntil(page, 'another replica becomes leader', (name) => [...document.querySelectorAll('.node-button')].some((b) => / leader, up$/.test(b.textContent) && !b.textContent.includes(` ${name},`)), crashed, 30_000);
  // Space pauses and plays when focus is not on a control.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press(' ');
  await waitUntil(page, 'Space pauses', () => document.querySelector('#play').textContent === 'Play');
  await page.keyboard.press(' ');
  await waitUntil(page, 'Space plays again', () => document.querySelector('#play').textContent === 'Pause');
  await page.screenshot({ path: await artifactPath('keyboard.png') });
  assert.deepEqual(errors, [], `the page logged errors:\n${errors.join('\n')}`);
});
