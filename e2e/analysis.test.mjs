// Analysis views: the history view marks the operations of a seeded violation and a
// click on one moves the scrubber to it; the comparison of models matches the CLI's
// `dsplay compare --json`; the counterexample search finds a breaking seed in a worker
// and loads it, and Cancel stops a search.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { artifactPath, collectErrors, startSite, waitUntil } from './support.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = process.env.DSPLAY_CLI ?? path.join(ROOT, 'target', 'debug', 'dsplay');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'dsplay-analysis-'));

let site;

before(async () => {
  site = await startSite();
});

after(async () => {
  await site?.close();
});

async function freshPage(url, width = 1280, height = 900) {
  const page = await site.browser.newPage({ viewport: { width, height } });
  const errors = collectErrors(page);
  await page.goto(url);
  return { page, errors };
}

const field = (page, name) => page.locator(`[data-field="${name}"]`).first().textContent();
const timeMs = async (page) => parseFloat(await field(page, 'time')) * 1000;

/** The feed with replica r3 lying from 4 s on: sequential consistency breaks. */
function lyingFeed() {
  const scenario = JSON.parse(readFileSync(path.join(ROOT, 'scenarios', 'sequential-feed.json'), 'utf8'));
  scenario.faults = [{ at_ms: 4000, fault: { kind: 'byzantine', node: 'r3', strategy: 'lie' } }];
  return scenario;
}

test('the history view marks the operations of a violation, and a click shows an operation', async () => {
  const scenario = lyingFeed();
  const file = path.join(scratch, 'lying-feed.json');
  writeFileSync(file, JSON.stringify(scenario));
  const link = `${site.url}#v1/0/${Buffer.from(JSON.stringify(scenario)).toString('base64url')}`;
  const { page, errors } = await freshPage(link);
  await waitUntil(page, 'the shared feed opens', () => document.querySelector('.scenario-info h2')?.textContent === 'A news feed in one order');
  await page.click('#next-violation');
  await waitUntil(page, 'the run is broken', () => document.querySelector('[data-field="verdict"]')?.classList.contains('violated'));
  // The page shows whole milliseconds; the moment lies within the next one.
  const moment = Math.floor(await timeMs(page)) + 1;
  await page.click('#tab-history');
  await waitUntil(page, 'the history is drawn', () => document.querySelectorAll('.op-bar').length > 5);
  assert.match(await field(page, 'history-verdict'), /^Not sequential: /, 'the verdict sits on top');
  const marked = await page.locator('.op-bar.violating').evaluateAll((bars) => bars.map((bar) => Number(bar.dataset.op)).sort((a, b) => a - b));
  const cli = JSON.parse(execFileSync(CLI, ['run', file, '--until-ms', String(moment), '--json'], { encoding: 'utf8' }));
  assert.equal(cli.verdict.valid, false);
  assert.deepEqual(marked, [...cli.verdict.ops].sort((a, b) => a - b), 'the marked bars are the operations the checker names');
  assert.ok(marked.length >= 1);
  // The table for screen readers lists the same operations.
  assert.equal(await page.locator('.history-table tbody tr').count(), await page.locator('.op-bar').count());
  assert.equal(await page.locator('.history-table tr.violating').count(), marked.length);
  await page.screenshot({ path: await artifactPath('history-violation.png') });

  // A click on the longest successful operation moves the scrubber into it and rings the
  // messages that served it.
  const widest = await page.locator('.op-bar.ok rect').evaluateAll((rects) => {
    const widths = rects.map((rect) => Number(rect.getAttribute('width')));
    return widths.indexOf(Math.max(...widths));
  });
  const bar = page.locator('.op-bar.ok').nth(widest);
  const invokeMs = Number(await bar.getAttribute('data-invoke-ms'));
  await bar.click();
  await waitUntil(page, 'the scrubber moved to the operation', (ms) => {
    const now = parseFloat(document.querySelector('[data-field="time"]').textContent) * 1000;
    return Math.abs(now - ms) < 400;
  }, invokeMs);
  assert.ok((await timeMs(page)) >= Math.floor(invokeMs), 'not before the invocation');
  assert.match(await field(page, 'announcement'), /the [1-9]\d* messages that served this operation are ringed/);
  assert.equal(await page.locator('.op-bar.selected').count(), 1);
  assert.equal(await page.locator('#play').textContent(), 'Play', 'paused there');
  await page.screenshot({ path: await artifactPath('history-picked.png') });
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});

test('comparing models gives the same table as dsplay compare --json', async () => {
  const { page, errors } = await freshPage(`${site.url}?preset=partition-tradeoff`);
  await waitUntil(page, 'the trade-off preset opens', () => document.querySelector('#preset')?.value === 'partition-tradeoff');
  await page.click('#tab-compare');
  for (const model of ['strict', 'eventual', 'causal']) {
    await page.locator(`input[data-model="${model}"]`).check();
  }
  await page.click('#compare-run');
  await waitUntil(page, 'the table is filled', () => document.querySelectorAll('#compare-table tbody tr').length === 3, undefined, 60_000);
  const cli = JSON.parse(execFileSync(CLI, ['compare', path.join(ROOT, 'scenarios', 'partition-tradeoff.json'), '--models', 'strict,causal,eventual', '--json'], { encoding: 'utf8' }));
  for (const row of cli.rows) {
    const cells = page.locator(`#compare-table tr[data-model="${row.model}"]`);
    for (const name of ['availability', 'latency_ms_p99', 'stale_reads', 'violations', 'messages_per_op']) {
      const shown = Number(await cells.locator(`[data-field="${name}"]`).getAttribute('data-value'));
      assert.equal(shown, row[name], `${row.model} ${name}`);
    }
  }
  const strict = cli.rows.find((row) => row.model === 'strict');
  const eventual = cli.rows.find((row) => row.model === 'eventual');
  assert.ok(strict.availability < eventual.availability, 'strict gives up availability under the partition');
  assert.ok(eventual.stale_reads > 0, 'eventual serves stale reads');
  // Each model's history, side by side, follows the scrubber.
  assert.equal(await page.locator('.compared-run').count(), 3);
  await page.locator('#scrubber').fill('6000');
  await waitUntil(page, 'the side-by-side views moved', () => [...document.querySelectorAll('.compared-run .history-chart')].every((svg) => Number(svg.dataset.endMs) >= 6000));
  await page.screenshot({ path: await artifactPath('compare.png'), fullPage: true });
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});

test('the counterexample search finds a breaking seed in the background, and Cancel stops one', async () => {
  const { page, errors } = await freshPage(`${site.url}?preset=strict-password`);
  await waitUntil(page, 'the strict preset opens', () => document.querySelector('#preset')?.value === 'strict-password');
  await page.click('#tab-search');
  // Raft tolerates crashes and partitions, but not a lying replica.
  await page.locator('input[data-profile="crashes"]').fill('0');
  await page.locator('input[data-profile="partitions"]').fill('0');
  await page.locator('input[data-profile="byzantine"]').fill('1');
  await page.locator('#search-seeds').fill('100');
  // A bad count is refused with a sentence and starts nothing.
  await page.locator('input[data-profile="omissions"]').fill('99');
  await page.click('#search-run');
  await waitUntil(page, 'the bad count is refused', () => /Omissions per run must be a whole number from 0 to 10, not "99"/.test(document.querySelector('.error-banner')?.textContent ?? ''));
  assert.equal(await page.locator('#job-progress').count(), 0);
  await page.locator('input[data-profile="omissions"]').fill('0');
  await page.click('#search-run');
  await waitUntil(page, 'a seed is found', () => /^Seed \d+ breaks linearizable/.test(document.querySelector('[data-field="search-result"]')?.textContent ?? ''), undefined, 60_000);
  await waitUntil(page, 'the run is loaded broken', () => document.querySelector('[data-field="verdict"]')?.classList.contains('violated'));
  assert.equal(await page.locator('#play').textContent(), 'Play', 'paused at the violation');
  assert.ok((await page.locator('.fault-mark').count()) >= 1, 'the drawn fault is in the lane');
  await page.screenshot({ path: await artifactPath('search-found.png') });

  // A search that cannot succeed quickly: the preset again, crashes only, many seeds.
  // Cancel stops it.
  await page.click('#undo');
  await waitUntil(page, 'Undo brings the preset back', () => document.querySelector('#seed')?.value === '5' && !document.querySelector('[data-field="verdict"]')?.classList.contains('violated'));
  await page.locator('input[data-profile="byzantine"]').fill('0');
  await page.locator('input[data-profile="crashes"]').fill('1');
  await page.locator('#search-seeds').fill('5000');
  await page.click('#search-run');
  await waitUntil(page, 'progress is shown', () => Number(document.querySelector('#job-progress')?.value ?? 0) > 0);
  // The page stays responsive while the worker searches: the scrubber still moves.
  await page.locator('#scrubber').fill('1000');
  await waitUntil(page, 'the scrubber answers', () => document.querySelector('[data-field="time"]').textContent === '1.000 s');
  await page.click('#job-cancel');
  await waitUntil(page, 'the search stopped', () => !document.querySelector('#job-progress') && !document.querySelector('#search-run').disabled);
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});

test('the space-time diagram draws one arrow per hop of the trace in its window', async () => {
  const { page, errors } = await freshPage(`${site.url}?preset=partition`);
  await waitUntil(page, 'the partition preset plays', () => document.querySelector('#play')?.textContent === 'Pause');
  await page.click('#play');
  await page.locator('#scrubber').fill('9000');
  await waitUntil(page, 'the cursor is at 9 s', () => document.querySelector('[data-field="time"]').textContent === '9.000 s');
  await page.click('#tab-spacetime');
  await waitUntil(page, 'the diagram is drawn', () => document.querySelectorAll('svg.spacetime-svg .arrow').length > 0);
  const svg = page.locator('svg.spacetime-svg');
  const start = Number(await svg.getAttribute('data-window-start-ms'));
  const end = Number(await svg.getAttribute('data-window-end-ms'));
  assert.equal(end, 9000);
  const traceFile = path.join(scratch, 'partition-trace.txt');
  execFileSync(CLI, ['run', path.join(ROOT, 'scenarios', 'partition.json'), '--until-ms', '9000', '--trace', traceFile]);
  const hops = readFileSync(traceFile, 'utf8').split('\n').filter((line) => / hop /.test(line)).filter((line) => {
    const ms = parseFloat(line) * 1000;
    return ms >= start - 1e-6 && ms <= end + 1e-6;
  });
  assert.ok(hops.length > 10);
  assert.equal(Number(await svg.getAttribute('data-arrows-total')), hops.length, 'every hop in the window is counted');
  assert.equal(await page.locator('svg.spacetime-svg .arrow').count(), Math.min(hops.length, 3000), 'and drawn');
  // Hovering an event shows its vector clock and the node's state.
  await page.locator('svg.spacetime-svg circle.event').nth(3).hover();
  await waitUntil(page, 'the detail names a vector clock', () => /\[[a-z0-9]+:\d+/.test(document.querySelector('#spacetime-detail')?.textContent ?? ''));
  // Zooming out widens the window.
  await page.click('#spacetime-zoom-out');
  await waitUntil(page, 'the window widened', (span) => {
    const svg = document.querySelector('svg.spacetime-svg');
    return Number(svg.dataset.windowEndMs) - Number(svg.dataset.windowStartMs) > span;
  }, end - start);
  await page.screenshot({ path: await artifactPath('spacetime.png'), fullPage: true });
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});

test('the availability chart dips while a partition cuts clients off', async () => {
  const scenario = JSON.parse(readFileSync(path.join(ROOT, 'scenarios', 'partition-tradeoff.json'), 'utf8'));
  const partition = scenario.faults.find((fault) => fault.fault.kind === 'partition');
  const { page, errors } = await freshPage(`${site.url}?preset=partition-tradeoff`);
  await waitUntil(page, 'the preset plays', () => document.querySelector('#play')?.textContent === 'Pause');
  await page.click('#play');
  await page.locator('#scrubber').fill(String(partition.until_ms + 2000));
  await page.click('#tab-metrics');
  await waitUntil(page, 'the availability chart is drawn', () => document.querySelectorAll('[data-chart="availability"] [data-value]').length > 10);
  const points = await page.locator('[data-chart="availability"] [data-t-ms][data-value]').evaluateAll((nodes) => nodes.map((node) => [Number(node.dataset.tMs), Number(node.dataset.value)]));
  const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const before = points.filter(([t]) => t < partition.at_ms).map(([, value]) => value);
  const during = points.filter(([t]) => t >= partition.at_ms + 500 && t < partition.until_ms).map(([, value]) => value);
  assert.ok(before.length > 0 && during.length > 0);
  assert.ok(mean(during) < mean(before) - 10, `availability ${mean(before).toFixed(1)} % before, ${mean(during).toFixed(1)} % during`);
  assert.ok(await page.locator('[data-chart="availability"] .fault-band[data-fault="partition"]').count() >= 1, 'the partition is shaded');
  for (const chart of ['latency', 'throughput', 'stale-reads', 'messages-per-op']) {
    assert.ok(await page.locator(`[data-chart="${chart}"]`).count() >= 1, `${chart} is charted`);
  }
  await page.screenshot({ path: await artifactPath('metrics.png'), fullPage: true });
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});
