// Breaking a node from the inspector, running an operation by hand, scrubbing back in
// time and driving playback from the keyboard, as a newcomer would.

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

const timeOf = (page) => page.locator('[data-field="time"]').textContent().then((text) => Number.parseFloat(text));

test('crash the sequencer from the inspector, write by hand, scrub back and use the keyboard', async () => {
  const { page, errors } = site;
  await page.selectOption('#preset', 'sequential-feed');
  await waitUntil(page, 'the feed scenario is shown', () => document.querySelector('.scenario-info h2')?.textContent === 'A news feed in one order');
  await page.selectOption('#speed', '5');
  await waitUntil(page, 'time passes 1 s', () => Number.parseFloat(document.querySelector('[data-field="time"]').textContent) > 1);

  await waitUntil(page, 'the status bar shows the guarantee holding', () => document.querySelector('[data-field="verdict"]')?.textContent === 'Sequential ✓ holds');

  // Crash the sequencer, r1, through the node list and the inspector.
  await page.getByRole('button', { name: 'Replica r1, sequencer, up' }).click();
  await page.getByRole('button', { name: /^Crash r1 for 3 seconds/ }).click();
  await waitUntil(page, 'the crash is announced', () => /^r1 crashed for 3\.0 s at /.test(document.querySelector('[data-field="announcement"]').textContent));
  assert.equal(await page.locator('.fault-mark').count(), 1, 'the fault lane shows the crash');
  await waitUntil(page, 'r1 is listed as down', () => [...document.querySelectorAll('.node-button')].some((b) => b.textContent === 'Replica r1, sequencer, down'));

  // Write by hand from the editor client: as soon as it is free, pause and write, in one
  // go, so its own workload cannot start another operation in between.
  await page.getByRole('button', { name: /^Client editor/ }).click();
  await page.fill('#op-value', '77');
  // The buttons show the editor's state ten times a second, so a click can still find it
  // busy: then play on until it is free, and try again.
  await waitUntil(page, 'the typed write is made and announced', () => {
    if (/^editor writes feed = 77 at /.test(document.querySelector('[data-field="announcement"]').textContent)) return true;
    const write = document.querySelector('#op-write');
    const play = document.querySelector('#play');
    const refused = /still waiting/.test(document.querySelector('.error-banner')?.textContent ?? '');
    if (refused && play.textContent === 'Play') {
      play.click();
    } else if (write && !write.disabled) {
      if (play.textContent === 'Pause') play.click();
      write.click();
    }
    return false;
  }, undefined, 30_000);

  // Scrub back to 0.5 s: the status shows that time and r1 is up again there.
  const before_s = await timeOf(page);
  await page.locator('#scrubber').fill('500');
  await waitUntil(page, 'the cursor is at 0.5 s', () => document.querySelector('[data-field="time"]').textContent === '0.500 s');
  await waitUntil(page, 'r1 is up at 0.5 s', () => [...document.querySelectorAll('.node-button')].some((b) => b.textContent === 'Replica r1, sequencer, up'));
  assert.ok(before_s > 0.5);

  // The keyboard: the right arrow steps to the next event, Space plays.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  const events = Number(await page.locator('[data-field="events"]').textContent());
  await page.keyboard.press('ArrowRight');
  await waitUntil(page, 'a step processes events', (count) => Number(document.querySelector('[data-field="events"]').textContent) > count, events);
  await page.keyboard.press(' ');
  await waitUntil(page, 'Space starts playing', () => document.querySelector('#play').textContent === 'Pause');

  await page.screenshot({ path: await artifactPath('break-and-scrub.png') });
  assert.deepEqual(errors, [], `the page logged errors:\n${errors.join('\n')}`);
});
