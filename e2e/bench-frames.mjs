// The page's frame budget and start-up, measured in headless Chromium (run by
// `cargo xtask bench`, not by the tests: timings belong in benchmarks, not assertions).
//
// 1. Start-up: from navigation to the first frame that draws the default scenario, over
//    several fresh page loads; and the gzipped sizes of the wasm, JS and CSS.
// 2. Frames: the stress preset (100 replicas, about 5,000 messages in the air) playing at
//    1x for at least 10 s. The page records, for every animation frame, the time its work
//    took (advancing the run plus drawing it) and how many messages it drew; a rAF loop of
//    this script's own records the gaps between frames, whose share above 1.5 frame
//    periods counts as missed frames (the page's Yew updates and the browser's own
//    rendering land there too).
// 3. The engine in wasm: each case of the native engine benchmark (its scenarios and
//    figures come from target/bench/engine.json, written by `cargo bench --bench engine`)
//    run to its end in the shipped background worker, timed from this side; events per
//    second against the native figure, and the fingerprint checked equal to the native one.
//
// Writes target/bench/frames.json and target/bench/report.json (with the native engine and
// checker figures) and prints a table; usage:
//   DSPLAY_DIST=dist node e2e/bench-frames.mjs [output.json] [engine.json]

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { distDir, launchBrowser, startServer } from './support.mjs';

const WARM_UP_MS = 3_000;
const MEASURE_MS = 12_000;
const START_UP_LOADS = 5;

function percentile(sorted, fraction) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index];
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  return { n: values.length, mean, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99), max: sorted.at(-1) };
}

// The background worker (dsplay-worker*) loads beside the page, not before its first
// frame, so its files are counted apart: `worker_wasm`, `worker_js`.
async function sizes(dist) {
  const found = {};
  for (const name of await readdir(dist)) {
    const extension = path.extname(name).slice(1);
    if (!['wasm', 'js', 'css'].includes(extension)) continue;
    const kind = name.startsWith('dsplay-worker') ? `worker_${extension}` : extension;
    const bytes = await readFile(path.join(dist, name));
    found[kind] = (found[kind] ?? 0) + gzipSync(bytes, { level: 9 }).length;
  }
  return found;
}

async function startUp(browser, url) {
  const samples = [];
  for (let load = 0; load < START_UP_LOADS; load += 1) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(url);
    await page.waitForFunction(() => window.dsplayFrames?.first_frame_ms != null, undefined, { timeout: 20_000, polling: 20 });
    samples.push(await page.evaluate(() => window.dsplayFrames.first_frame_ms));
    await page.close();
  }
  return summary(samples);
}

async function frames(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${url}?preset=stress-grid&speed=1`);
  await page.waitForFunction(() => window.dsplayFrames?.first_frame_ms != null, undefined, { timeout: 20_000, polling: 50 });
  await page.waitForTimeout(WARM_UP_MS);
  // Frame gaps as the browser delivers them, recorded by a loop of our own.
  await page.evaluate(() => {
    window.benchGaps = [];
    let previous = null;
    const tick = (now) => {
      if (previous !== null) window.benchGaps.push(now - previous);
      previous = now;
      if (!window.benchStop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.waitForTimeout(MEASURE_MS);
  const result = await page.evaluate(() => {
    window.benchStop = true;
    return { gaps: window.benchGaps, work: Array.from(window.dsplayFrames.work_ms), inFlight: Array.from(window.dsplayFrames.in_flight) };
  });
  const status = await page.locator('[role="status"]').textContent();
  await page.close();
  if (errors.length > 0) throw new Error(`the page failed: ${errors.join('; ')}`);
  // The page keeps its latest 4,096 frames; the measured window is its last part.
  const measured = Math.min(result.gaps.length, result.work.length);
  const work = result.work.slice(-measured);
  const inFlight = result.inFlight.slice(-measured);
  const period = percentile([...result.gaps].sort((a, b) => a - b), 0.5);
  const missed = result.gaps.filter((gap) => gap > 1.5 * period).length;
  return {
    frames: measured,
    seconds: result.gaps.reduce((sum, gap) => sum + gap, 0) / 1_000,
    frame_period_ms: period,
    work_ms: summary(work),
    missed_frames: missed,
    missed_share: missed / Math.max(1, result.gaps.length),
    in_flight: summary(inFlight),
    status: status.replace(/\s+/g, ' ').trim(),
  };
}

/** Runs each native engine case in the page's worker (wasm) and compares. */
async function engineInWasm(browser, url, engineJson) {
  let native;
  try {
    native = JSON.parse(await readFile(engineJson, 'utf8'));
  } catch {
    return { skipped: `no ${engineJson}: run the engine benchmark first (cargo xtask bench)` };
  }
  const page = await browser.newPage();
  await page.goto(`${url}?preset=gossip-ring&autoplay=0`);
  const cases = [];
  for (const nativeCase of native.cases) {
    // Enough repetitions for about half a second at the native speed, at least 1.
    const repeat = Math.max(1, Math.min(1000, Math.round((0.5 * nativeCase.events_per_s) / nativeCase.events)));
    const timings = await page.evaluate(async ({ scenario, repeat }) => {
      const worker = new Worker('./dsplay-worker_loader.js');
      const replies = [];
      let wake = null;
      worker.onmessage = (event) => {
        replies.push(JSON.parse(event.data));
        wake?.();
      };
      const next = async () => {
        while (replies.length === 0) await new Promise((resolve) => { wake = resolve; });
        return replies.shift();
      };
      const hello = await next();
      if (hello !== 'ready') throw new Error(`the worker said ${JSON.stringify(hello)} first`);
      const samples = [];
      let ran = null;
      for (let sample = 0; sample < 3; sample += 1) {
        const started = performance.now();
        worker.postMessage(JSON.stringify({ run: { scenario, repeat } }));
        ran = await next();
        samples.push(performance.now() - started);
      }
      worker.terminate();
      return { samples, ran };
    }, { scenario: nativeCase.scenario, repeat });
    if (!timings.ran?.ran) throw new Error(`${nativeCase.name}: the worker answered ${JSON.stringify(timings.ran)}`);
    const seconds = summary(timings.samples).p50 / 1000;
    const eventsPerS = (timings.ran.ran.events * repeat) / seconds;
    cases.push({
      name: nativeCase.name,
      events: timings.ran.ran.events,
      repeat,
      wasm_events_per_s: eventsPerS,
      native_events_per_s: nativeCase.events_per_s,
      wasm_to_native: eventsPerS / nativeCase.events_per_s,
      same_fingerprint: timings.ran.ran.fingerprint === nativeCase.fingerprint,
    });
  }
  await page.close();
  return { cases };
}

const dist = await distDir();
const server = await startServer(dist);
const browser = await launchBrowser();
let report;
try {
  report = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
    browser: `Chromium ${browser.version()} (headless, software rendering)`,
    start_up_ms: await startUp(browser, server.url),
    gzip_bytes: await sizes(dist),
    stress: await frames(browser, server.url),
    engine_wasm: await engineInWasm(browser, server.url, process.argv[3] ?? path.resolve('target/bench/engine.json')),
  };
} finally {
  await browser.close();
  await server.close();
}

const output = process.argv[2] ?? path.resolve('target/bench/frames.json');
await mkdir(path.dirname(output), { recursive: true });
await writeFile(output, `${JSON.stringify(report, null, 2)}\n`);

// Every figure of `cargo xtask bench` in one file: the native engine and checker (written
// by their bench binaries beside this one's output) and the page's.
const benchDir = path.dirname(output);
const readJson = async (name) => {
  try {
    return JSON.parse(await readFile(path.join(benchDir, name), 'utf8'));
  } catch {
    return null;
  }
};
const engineNative = await readJson('engine.json');
for (const row of engineNative?.cases ?? []) delete row.scenario;
await writeFile(
  path.join(benchDir, 'report.json'),
  `${JSON.stringify({ date: report.date, machine: report.machine, browser: report.browser, engine_native: engineNative, checker: await readJson('checker.json'), page: report }, null, 2)}\n`,
);

const ms = (value) => `${value.toFixed(2)} ms`;
const { stress } = report;
console.log(`\npage benchmarks (${report.browser}; ${report.machine})`);
console.log(`  first frame of the default scenario: p50 ${ms(report.start_up_ms.p50)}, max ${ms(report.start_up_ms.max)} over ${report.start_up_ms.n} loads (goal < 1000 ms)`);
console.log(`  gzipped: wasm ${(report.gzip_bytes.wasm / 1024).toFixed(0)} KB, js ${(report.gzip_bytes.js / 1024).toFixed(1)} KB, css ${(report.gzip_bytes.css / 1024).toFixed(1)} KB; worker wasm ${((report.gzip_bytes.worker_wasm ?? 0) / 1024).toFixed(0)} KB, js ${((report.gzip_bytes.worker_js ?? 0) / 1024).toFixed(1)} KB`);
console.log(`  stress (100 nodes, ${stress.in_flight.mean.toFixed(0)} messages in flight on average, max ${stress.in_flight.max}), ${stress.frames} frames over ${stress.seconds.toFixed(1)} s:`);
console.log(`    work per frame p50 ${ms(stress.work_ms.p50)}, p95 ${ms(stress.work_ms.p95)}, p99 ${ms(stress.work_ms.p99)} (goal p95 <= 8 ms)`);
console.log(`    missed frames ${(stress.missed_share * 100).toFixed(2)} % (${stress.missed_frames}; goal < 1 %), frame period ${ms(stress.frame_period_ms)}`);
if (report.engine_wasm.cases) {
  console.log('  engine in wasm (the background worker) against native:');
  for (const row of report.engine_wasm.cases) {
    console.log(`    ${row.name.padEnd(12)} ${(row.wasm_events_per_s / 1e6).toFixed(2)} M events/s, native ${(row.native_events_per_s / 1e6).toFixed(2)} M, ratio ${(row.wasm_to_native * 100).toFixed(0)} % (goal >= 40 %)${row.same_fingerprint ? '' : ' FINGERPRINT DIFFERS'}`);
  }
} else {
  console.log(`  engine in wasm: ${report.engine_wasm.skipped}`);
}
console.log(`  written to ${output} and ${path.join(benchDir, 'report.json')}`);
