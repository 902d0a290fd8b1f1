// Breaking things with settings, and moving faults in time: a user sets how long a fault
// lasts and how hard it bites, sees refused settings explained, cuts and heals a link,
// drags a fault along the lane with the mouse and nudges it with the arrow keys (the run
// is recomputed each time, at the same moment), removes it, and jumps to the moment the
// checker finds the guarantee broken.

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

const announced = (pattern) => new RegExp(pattern).test(document.querySelector('[data-field="announcement"]').textContent);
const laneStarts = () => [...document.querySelectorAll('.fault-mark')].map((mark) => Number(mark.dataset.atMs));

/** Opens the news-feed preset afresh, paused at `ms` of virtual time. */
async function openFeedAt(page, ms) {
  // Through the blank canvas, so the preset opens anew even if it was open already.
  await page.selectOption('#preset', 'empty');
  await waitUntil(page, 'the blank canvas opens', () => document.querySelector('.node-list .hint') !== null);
  await page.selectOption('#preset', 'sequential-feed');
  await waitUntil(page, 'the feed preset plays', () => document.querySelector('#play').textContent === 'Pause');
  await page.click('#play');
  await page.locator('#scrubber').fill(String(ms));
  await waitUntil(page, `the cursor is at ${ms} ms`, (at) => document.querySelector('[data-field="time"]').textContent === `${(at / 1000).toFixed(3)} s`, ms);
}

test('fault settings, a link cut and healed, and a fault dragged and nudged along the lane', async () => {
  const { page, errors } = site;
  await waitUntil(page, 'the preset list is there', () => document.querySelectorAll('#preset option').length > 1);
  await openFeedAt(page, 2000);

  // A refused setting says why and adds nothing.
  await page.getByRole('button', { name: /^Replica r3, / }).click();
  await page.fill('#omission-percent', '150');
  await page.getByRole('button', { name: /^Omission: r3/ }).click();
  await waitUntil(page, 'the refusal is explained', () => /Omission must be a number from 1 to 100 %; "150" is not\./.test(document.querySelector('.field-error[role="alert"]')?.textContent ?? ''));
  assert.equal(await page.locator('.fault-mark').count(), 0, 'nothing was scheduled');

  // A slow node for one second, with a typed delay; its mark shows in the node list.
  await page.selectOption('#node-fault-duration', { label: '1 s' });
  await page.fill('#slow-ms', '750');
  await page.getByRole('button', { name: /^Slow: r3 .* for 1 second/ }).click();
  await waitUntil(page, 'the slowness is announced', announced, '^r3 handles every message 750 ms late for 1\\.0 s at 2\\.000 s\\.$');
  await waitUntil(page, 'r3 is listed as slow', () => [...document.querySelectorAll('.node-button')].some((b) => /^Replica r3, .*, up, slow$/.test(b.textContent)));
  assert.equal(await page.locator('.field-error').count(), 0, 'the earlier refusal is gone');

  // Cut the link r1 – r3 until healed, then heal it, from the System panel.
  // Clicking empty canvas deselects the node, which opens the System panel.
  await page.locator('#stage').click({ position: { x: 3, y: 3 } });
  const linkPanel = page.locator('details.link-settings').filter({ has: page.locator('summary', { hasText: /^r1 – r3$/ }) });
  await linkPanel.locator('summary').click();
  await linkPanel.locator('select[aria-label="How long the faults below last"]').selectOption({ label: 'until healed' });
  await linkPanel.getByRole('button', { name: 'Cut the link r1 – r3 until healed' }).click();
  await waitUntil(page, 'the cut is announced', announced, '^the link r1–r3 was cut at ');
  await linkPanel.getByRole('button', { name: /^Heal the link r1 – r3 now/ }).click();
  await waitUntil(page, 'the heal is announced', announced, '^the link r1–r3 healed at ');
  await waitUntil(page, 'the lane shows three faults', () => document.querySelectorAll('.fault-mark').length === 3);

  // Drag the slow fault (the first) 2 s later along the lane with the mouse.
  const lane = await page.locator('.fault-lane').boundingBox();
  const slow = page.locator('.fault-mark[data-fault="0"]');
  const box = await slow.boundingBox();
  const duration_ms = 20_000;
  const dx = (2000 / duration_ms) * lane.width;
  await page.mouse.move(box.x + 3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + 3 + dx / 2, box.y + box.height / 2, { steps: 4 });
  await page.mouse.move(box.x + 3 + dx, box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
  await waitUntil(page, 'the slow fault starts about 2 s later', () => Math.abs(Number(document.querySelector('.fault-mark[data-fault="0"]').dataset.atMs) - 4000) <= 60);
  assert.equal(await page.locator('[data-field="time"]').textContent(), '2.000 s', 'the cursor stayed where it was');
  await waitUntil(page, 'r3 is no longer slow at 2 s', () => [...document.querySelectorAll('.node-button')].some((b) => /^Replica r3, .*, up$/.test(b.textContent)));

  // Nudge it with the arrow keys (100 ms a press, 1 s with Shift), then remove it.
  const before = (await page.evaluate(laneStarts))[0];
  await page.locator('.fault-mark[data-fault="0"]').focus();
  await page.keyboard.press('ArrowRight');
  await waitUntil(page, 'the fault moved 100 ms later', (start) => Number(document.querySelector('.fault-mark[data-fault="0"]').dataset.atMs) === start + 100, before);
  await page.keyboard.press('Shift+ArrowLeft');
  await waitUntil(page, 'the fault moved 1 s earlier', (start) => Number(document.querySelector('.fault-mark[data-fault="0"]').dataset.atMs) === start - 900, before);
  // Move the cursor into the fault's time: r3 is slow there.
  const at = (await page.evaluate(laneStarts))[0];
  await page.locator('#scrubber').fill(String(at + 300));
  await waitUntil(page, 'r3 is slow inside the moved fault', () => [...document.querySelectorAll('.node-button')].some((b) => /^Replica r3, .*, up, slow$/.test(b.textContent)));
  await page.locator('.fault-mark[data-fault="0"]').focus();
  await page.keyboard.press('Delete');
  await waitUntil(page, 'the fault is gone', () => document.querySelectorAll('.fault-mark').length === 2);
  await waitUntil(page, 'and r3 is not slow any more', () => [...document.querySelectorAll('.node-button')].some((b) => /^Replica r3, .*, up$/.test(b.textContent)));
  await page.screenshot({ path: await artifactPath('faults-and-lane.png') });
  assert.deepEqual(errors, [], `the page logged errors:\n${errors.join('\n')}`);
});

test('Next violation stops where the checker first finds the guarantee broken', async () => {
  const { page, errors } = site;
  await openFeedAt(page, 1000);
  // Without faults the feed stays sequential: there is nothing to jump to.
  await page.click('#next-violation');
  await waitUntil(page, 'the page says there is none', () => /^The checker finds no violation of sequential/.test(document.querySelector('.error-banner[role="alert"]')?.textContent ?? ''));
  // r3 lies to its readers from here on.
  await page.getByRole('button', { name: /^Replica r3, / }).click();
  await page.selectOption('#node-fault-duration', { label: 'until healed' });
  await page.selectOption('select[aria-label="Byzantine strategy"]', 'lie');
  await page.getByRole('button', { name: /^Make r3 byzantine until healed/ }).click();
  await waitUntil(page, 'the lie is announced', announced, '^r3 turned byzantine \\(lie\\) at 1\\.000 s\\.$');
  await page.click('#next-violation');
  await waitUntil(page, 'the jump is announced', announced, '^Moved to \\d+\\.\\d{3} s, where the run stops being sequential: ');
  await waitUntil(page, 'the status bar shows the violation', () => document.querySelector('[data-field="verdict"]')?.textContent === 'Sequential ✗ violated');
  assert.match(await page.locator('[data-field="verdict-explanation"]').textContent(), /^Not sequential: /);
  assert.equal(await page.locator('#play').textContent(), 'Play', 'paused at the violation');
  const moment = Number.parseFloat(await page.locator('[data-field="time"]').textContent());
  assert.ok(moment > 1, `the violation comes after the lie began, at ${moment} s`);
  // Just before that moment the guarantee still held: it is the first violation.
  await page.locator('#scrubber').fill(String(Math.round(moment * 1000) - 10));
  await waitUntil(page, 'the verdict holds 10 ms earlier', () => document.querySelector('[data-field="verdict"]')?.textContent === 'Sequential ✓ holds');
  await page.screenshot({ path: await artifactPath('next-violation.png') });
  assert.deepEqual(errors, [], `the page logged errors:\n${errors.join('\n')}`);
});
