/// <reference lib="dom" />
/**
 * The live dashboard page of `npm start`, in a real browser (Debian's Chromium driven by playwright-core) against
 * the real local stack with trades flowing: the page renders, candles and VWAP draw for a ticker and change with
 * the ticker chosen, the latest alerts list fills, a dead letter shows up with its hostile bytes as text only
 * (no element, no script from them), and the produced and stored figures move. A screenshot is kept in
 * test-artifacts/local-dashboard.png.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type Dashboard, startDashboard } from '../src/local/dashboard/server.ts';
import { PROJECT_ROOT } from '../src/local/maven.ts';
import { LocalStack } from '../src/local/stack.ts';
import { ALERT_RULES } from '../src/pipeline/analytics/index.ts';
import { TRADES_TABLE } from '../src/schema/index.ts';
import { injectRaw, replayConfig, until } from './pipeline-helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts');
/** Bytes no decoder takes, which would run script if a page ever wrote them as HTML. */
const HOSTILE_PAYLOAD = '{"bad":"<img src=x onerror=window.__pwned=1>"';
const HOSTILE_FIELD = '{"<img src=y onerror=window.__pwned=2>": 1}';

// Live trades (wall-clock time) at a modest rate, and short windows, so that candles close every few seconds.
const config = replayConfig({
  producer: { mode: 'live', rate: 150 },
  windows: {
    vwapSeconds: 5,
    slidingSeconds: 20,
    slideSeconds: 5,
    watermarkDelayMs: 3_000,
    idleTimeoutMs: 5_000,
  },
});

/** The page's figure `name` (data-figure) as a number; NaN while it shows none. */
async function figure(page: Page, name: string): Promise<number> {
  const text = await page.locator(`[data-figure="${name}"]`).textContent();
  return Number((text ?? '').replaceAll(',', ''));
}

/** Pixels of the candle chart's canvases in the candles' up or down colour: none until a candle is drawn. */
function candlePixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    let count = 0;
    for (const canvas of document.querySelectorAll<HTMLCanvasElement>('#candles canvas')) {
      const context = canvas.getContext('2d');
      if (!context || canvas.width === 0 || canvas.height === 0) continue;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i] as number, data[i + 1] as number, data[i + 2] as number];
        if ((r === 38 && g === 166 && b === 154) || (r === 239 && g === 83 && b === 80)) count++;
      }
    }
    return count;
  });
}

/** The candle chart as drawn now: its canvases' pixels, as data URLs. */
function candleImage(page: Page): Promise<string> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLCanvasElement>('#candles canvas')].map((c) => c.toDataURL()).join('|'),
  );
}

describe('the live dashboard page, in Chromium', { timeout: 900_000 }, () => {
  let stack: LocalStack;
  let producer: ChildProcess;
  let dashboard: Dashboard;
  let profileDir: string;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`);
    stack = await LocalStack.start(config, { durable: false, flinkHeap: '1g' });
    producer = stack.spawnProducer();
    // As npm start does (src/local/main.ts): the same function, any free loopback port.
    dashboard = await startDashboard(stack, { port: 0, intervalMs: 1_000 });
    profileDir = await mkdtemp(join(tmpdir(), 'tradestream-chromium-'));
    // Without the background-networking flags Chromium's own connections are refused on a closed network.
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await dashboard?.close();
    producer?.kill('SIGTERM');
    await stack?.stop();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  it('serves the page on 127.0.0.1 only, and it renders with the job running', async () => {
    assert.match(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    // fetch() does not let a caller set Host: node:http does.
    const refused = await new Promise<number | undefined>((resolve, reject) =>
      request(dashboard.url, { headers: { host: 'attacker.example' } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      })
        .on('error', reject)
        .end(),
    );
    assert.equal(refused, 403, 'a foreign Host header (DNS rebinding) is refused');
    await page.goto(dashboard.url);
    assert.equal(await page.title(), 'tradestream: live local dashboard');
    await page.waitForFunction(
      () => document.querySelector('#job-state')?.textContent === 'job RUNNING',
      null,
      {
        timeout: 120_000,
      },
    );
    assert.deepEqual(pageErrors, []);
  });

  it('draws candles and VWAP for a ticker', async () => {
    await page.waitForFunction(
      () => Number(document.querySelector<HTMLElement>('#candles')?.dataset.points) >= 3,
      null,
      {
        timeout: 240_000,
      },
    );
    const ticker = await page.locator('#candles').getAttribute('data-ticker');
    assert.ok(ticker, 'the chart names its ticker');
    assert.equal(await page.locator('#ticker').inputValue(), ticker);
    await until('candles on the canvas', async () => (await candlePixels(page)) > 0, 60_000);
  });

  it('changes the chart when another ticker is chosen', async () => {
    await until(
      'two tickers to choose from',
      async () => (await page.locator('#ticker option').count()) >= 2,
    );
    const first = await page.locator('#candles').getAttribute('data-ticker');
    const before = await candleImage(page);
    const other = (await page.locator('#ticker option').nth(1).getAttribute('value')) as string;
    assert.notEqual(other, first);
    await page.selectOption('#ticker', other);
    await page.waitForFunction(
      (t) => {
        const chart = document.querySelector<HTMLElement>('#candles');
        return chart?.dataset.ticker === t && Number(chart.dataset.points) > 0;
      },
      other,
      { timeout: 60_000 },
    );
    assert.equal(new URL(page.url()).searchParams.get('ticker'), other, 'the choice is kept in the URL');
    await until(
      'the chart redrawn for the other ticker',
      async () => (await candleImage(page)) !== before,
      30_000,
    );
    assert.ok((await candlePixels(page)) > 0);
  });

  it('lists the latest alerts', async () => {
    await until(
      'an alert on the page',
      async () => (await page.locator('#alerts tbody tr').count()) > 0,
      240_000,
    );
    const details = (await page.locator('#alerts tbody tr').first().locator('td').last().textContent()) ?? '';
    assert.ok(
      Object.values(ALERT_RULES).some((rule) => details.includes(rule)),
      `the alert names its rule: ${details}`,
    );
  });

  it('shows a dead letter with its reason, its hostile bytes as text only', async () => {
    await injectRaw(stack, [HOSTILE_PAYLOAD, HOSTILE_FIELD]);
    const rows = page.locator('#dead-letters tbody tr');
    await until(
      'both dead letters on the page',
      async () => {
        const payloads = await page.locator('#dead-letters td.payload').allTextContents();
        return payloads.includes(HOSTILE_PAYLOAD) && payloads.includes(HOSTILE_FIELD);
      },
      120_000,
    );
    for (let i = 0; i < (await rows.count()); i++) {
      const reason = (await rows.nth(i).locator('td').nth(1).textContent()) ?? '';
      assert.ok(reason.trim().length > 0, 'each dead letter shows its reason');
    }
    assert.equal(await page.locator('main img').count(), 0, 'no element made from the payload');
    assert.equal(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned), undefined);
  });

  it('moves the produced and stored figures while trades flow', async () => {
    const produced = await figure(page, 'produced');
    const stored = await figure(page, 'stored');
    assert.ok(produced > 0 && stored > 0, `figures shown: produced ${produced}, stored ${stored}`);
    await until('both figures to move', async () => {
      return (await figure(page, 'produced')) > produced && (await figure(page, 'stored')) > stored;
    });
    // The figures are the stack's: at most what Kafka and PostgreSQL hold once they are read.
    const [shownProduced, shownStored] = [await figure(page, 'produced'), await figure(page, 'stored')];
    const counts = await stack.counts();
    assert.ok(
      shownProduced <= counts.produced,
      `${shownProduced} produced shown, ${counts.produced} in the topics`,
    );
    assert.ok(
      shownStored <= counts.storedTrades,
      `${shownStored} stored shown, ${counts.storedTrades} in ${TRADES_TABLE}`,
    );
    assert.ok(
      (await page.locator('[data-figure="checkpoints"]').textContent()) !== '-',
      'checkpoints from Flink shown',
    );
    assert.ok((await page.locator('#tasks tbody tr').count()) > 0, "the job's tasks listed");
    // A page opened later gets the throughput so far with its first event.
    const points = Number(await page.locator('#throughput').getAttribute('data-points'));
    assert.ok(points >= 2, `${points} throughput points drawn`);
    await page.reload();
    const reloaded = (await (
      await page.waitForFunction(() => {
        const snapshots = Number(document.body.dataset.snapshots);
        const drawn = Number(document.querySelector<HTMLElement>('#throughput')?.dataset.points);
        return snapshots >= 1 ? { snapshots, drawn } : undefined;
      })
    ).jsonValue()) as { snapshots: number; drawn: number };
    // Without the history each event adds one point at most.
    assert.ok(
      reloaded.drawn >= points && reloaded.drawn > reloaded.snapshots,
      `${reloaded.drawn} throughput points after ${reloaded.snapshots} events of the reloaded page, ${points} before`,
    );
    assert.deepEqual(pageErrors, []);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'local-dashboard.png') });
  });
});
