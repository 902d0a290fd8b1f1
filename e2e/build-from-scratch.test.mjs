// A newcomer builds a system from a blank canvas with the mouse: three replicas and a
// client, linked by dragging; the run starts once the system is runnable; they write
// and read from the client, choose each model in turn, crash the strict model's leader
// and see another elected, undo an edit, rename a node, and partition and heal.

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

/** The canvas point of a node, found through the node list and a canvas probe. */
async function canvasPoint(page, x, y) {
  const box = await page.locator('#stage').boundingBox();
  return { x: box.x + x, y: box.y + y };
}

async function dragOnCanvas(page, from, to, { shift = false } = {}) {
  if (shift) await page.keyboard.down('Shift');
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 4 });
  await page.mouse.up();
  if (shift) await page.keyboard.up('Shift');
}

test('build three replicas and a client with the mouse, link them, run operations', async () => {
  const { page, errors } = site;
  await page.selectOption('#preset', 'empty');
  await waitUntil(page, 'the blank canvas says how to start', () => document.querySelector('.node-list .hint') !== null);

  // Three replicas by double-clicking empty canvas, one client with the toolbar.
  const spots = [[200, 120], [500, 120], [350, 330]];
  for (const [x, y] of spots) {
    const point = await canvasPoint(page, x, y);
    await page.mouse.dblclick(point.x, point.y);
  }
  await waitUntil(page, 'three replicas are listed', () => document.querySelectorAll('.node-button').length === 3);
  await page.click('#add-client');
  await waitUntil(page, 'the client is listed', () => [...document.querySelectorAll('.node-button')].some((b) => b.textContent.startsWith('Client c1')));
  await waitUntil(page, 'an unlinked client makes the system not runnable', () => /linked to no replica/.test(document.querySelector('[data-field="problem"]')?.textContent ?? ''));

  // Link the replicas in a triangle by dragging with the link tool.
  await page.click('#link-tool');
  const [a, b, c] = await Promise.all(spots.map(([x, y]) => canvasPoint(page, x, y)));
  await dragOnCanvas(page, a, b);
  await dragOnCanvas(page, b, c);
  await dragOnCanvas(page, c, a);
  await page.click('#link-tool');
  // Link the client by Shift-dragging from r3 to it. New nodes are placed on a spiral
  // around (400, 260) in scenario coordinates, which on a blank canvas's view are canvas
  // pixels: the fourth node sits at angle 3 × 2.4 rad, radius 60 + 18 × 3 px.
  const angle = 3 * 2.4;
  const clientSpot = await canvasPoint(page, 400 + (60 + 18 * 3) * Math.cos(angle), 260 + (60 + 18 * 3) * Math.sin(angle));
  await dragOnCanvas(page, c, clientSpot, { shift: true });
  await waitUntil(page, 'the system becomes runnable', () => document.querySelector('[data-field="problem"]') === null, undefined, 5_000);
  await page.keyboard.press('Escape');

  // Write and read from the client, its own workload switched off so that nothing but
  // these operations touch x.
  await page.getByRole('button', { name: /^Client c1/ }).click();
  await page.click('#workload-switch');
  await waitUntil(page, 'the workload is off', () => document.querySelector('#workload-switch')?.checked === false);
  await page.fill('#op-key', 'x');
  await page.fill('#op-value', '5');
  await page.click('#op-write');
  await waitUntil(page, 'the write is announced', () => /^c1 writes x = 5 at /.test(document.querySelector('[data-field="announcement"]').textContent));
  await page.click('#play');
  await waitUntil(page, 'the write completes', () => [...document.querySelectorAll('.recent-ops li')].some((li) => li.textContent.includes('w x=5') && li.textContent.includes('ok')));
  await waitUntil(page, 'the client is free again', () => !document.querySelector('#op-read').disabled);
  await page.click('#op-read');
  await waitUntil(page, 'the read returns 5', () => [...document.querySelectorAll('.recent-ops li')].some((li) => li.textContent.includes('r x→5')));

  // Choose each model in turn: the run restarts under it and the status bar names the
  // guarantee it is checked against (PBFT needs four replicas and says so instead).
  const expected = { strict: 'Linearizable', sequential: 'Sequential', causal: 'Causal', eventual: 'Eventual' };
  for (const [kind, model] of Object.entries(expected)) {
    await page.selectOption('#model', kind);
    await page.click('#play');
    await waitUntil(page, `the ${kind} model runs and is checked as ${model}`, (name) => (document.querySelector('[data-field="verdict"]')?.textContent ?? '').startsWith(name), model);
    await page.click('#play');
  }
  await page.selectOption('#model', 'bft');
  await waitUntil(page, 'PBFT explains why it cannot run on three replicas', () => /bft needs at least 4 replicas/.test(document.querySelector('[data-field="problem"]')?.textContent ?? ''));

  // Under the strict model, crash the leader: another replica is elected.
  await page.selectOption('#model', 'strict');
  await page.selectOption('#speed', '1');
  await page.click('#play');
  await waitUntil(page, 'a leader is elected', () => [...document.querySelectorAll('.node-button')].some((b) => / leader, up$/.test(b.textContent)), undefined, 30_000);
  const leader = await page.evaluate(() => [...document.querySelectorAll('.node-button')].find((b) => / leader, up$/.test(b.textContent)).textContent.split(' ')[1].replace(',', ''));
  await page.getByRole('button', { name: new RegExp(`^Replica ${leader},`) }).click();
  await page.getByRole('button', { name: new RegExp(`^Crash ${leader} for 3 seconds`) }).click();
  await waitUntil(page, 'another replica becomes leader', (name) => [...document.querySelectorAll('.node-button')].some((b) => / leader, up$/.test(b.textContent) && !b.textContent.includes(` ${name},`)), leader, 30_000);
  await page.screenshot({ path: await artifactPath('build-from-scratch-new-leader.png') });
  await page.selectOption('#model', 'sequential');

  // Rename r1, then undo it.
  await page.getByRole('button', { name: /^Replica r1/ }).click();
  await page.fill('#node-name', 'alpha');
  await page.press('#node-name', 'Enter');
  await waitUntil(page, 'r1 is now alpha', () => [...document.querySelectorAll('.node-button')].some((b) => b.textContent.startsWith('Replica alpha')));
  await page.click('#undo');
  await waitUntil(page, 'undo brings r1 back', () => [...document.querySelectorAll('.node-button')].some((b) => b.textContent.startsWith('Replica r1')));

  // Partition r1 off by drawing a loop around it, then heal everything.
  await page.click('#lasso-tool');
  const corners = [[140, 60], [260, 60], [260, 180], [140, 180], [140, 62]];
  const first = await canvasPoint(page, ...corners[0]);
  await page.mouse.move(first.x, first.y);
  await page.mouse.down();
  for (const [x, y] of corners.slice(1)) {
    const point = await canvasPoint(page, x, y);
    await page.mouse.move(point.x, point.y, { steps: 6 });
  }
  await page.mouse.up();
  await page.click('#lasso-tool');
  await waitUntil(page, 'the partition is announced', () => /^the network split into \{r1\} and the rest at /.test(document.querySelector('[data-field="announcement"]').textContent));
  await page.click('#heal-all');
  await waitUntil(page, 'heal all is announced', () => /^every fault healed at /.test(document.querySelector('[data-field="announcement"]').textContent));

  await page.screenshot({ path: await artifactPath('build-from-scratch.png') });
  assert.deepEqual(errors, [], `the page logged errors:\n${errors.join('\n')}`);
});
