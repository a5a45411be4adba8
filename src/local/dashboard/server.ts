/**
 * The live dashboard page of `npm start`: a small node:http server on 127.0.0.1 serving the page (page.html,
 * page.js, page.css, and the chart library from node_modules: nothing from the internet) and one server-sent
 * event stream per open page, a snapshot of the market (candles of the page's ticker, the latest alerts and
 * dead letters) and of the pipeline's health every few seconds.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logger } from '../../log.ts';
import type { LocalStack } from '../stack.ts';
import { type Candle, DashboardData, type Health, type TickerVolume } from './data.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHART_LIBRARY = join(
  dirname(createRequire(import.meta.url).resolve('lightweight-charts/package.json')),
  'dist',
  'lightweight-charts.standalone.production.js',
);

/** The files the page is made of, by URL path. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: join(HERE, 'page.html'), type: 'text/html; charset=utf-8' },
  '/page.js': { file: join(HERE, 'page.js'), type: 'text/javascript; charset=utf-8' },
  '/page.css': { file: join(HERE, 'page.css'), type: 'text/css; charset=utf-8' },
  '/lightweight-charts.js': { file: CHART_LIBRARY, type: 'text/javascript; charset=utf-8' },
};

/**
 * Data on the page is hostile (alert fields, dead-letter payloads): page.js writes it as text only, and this
 * policy refuses any script or handler that did not come from these files.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const TICKERS_EVERY_MS = 15_000;

/** One event of the stream: everything the page shows. */
export interface Snapshot {
  ticker: string | null;
  tickers: TickerVolume[];
  candles: Candle[];
  health: Health | null;
  alerts: DashboardData['alerts'];
  deadLetters: DashboardData['deadLetters'];
  /** Trades produced and stored per second: the whole history on a page's first event, then the newest. */
  throughput: ThroughputPoint[];
}

export interface ThroughputPoint {
  /** Seconds since the epoch. */
  time: number;
  produced: number;
  stored: number;
}

/** Throughput points kept for a page opened later: 20 minutes at the default interval. */
const THROUGHPUT_POINTS = 600;

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

export interface DashboardOptions {
  /** Loopback port; 0 (the config's default) takes any free one. */
  port?: number;
  /** How often the page gets a new snapshot. */
  intervalMs?: number;
}

interface Client {
  response: ServerResponse;
  /** The ticker the page asked for; null: the most traded one. */
  ticker: string | null;
  /** Whether it has had the throughput history. */
  hasHistory?: boolean;
}

/** Starts the dashboard of a running stack; its URL is what `npm start` prints. */
export async function startDashboard(stack: LocalStack, options: DashboardOptions = {}): Promise<Dashboard> {
  const port = options.port ?? stack.config.local.dashboardPort;
  const intervalMs = options.intervalMs ?? 2_000;
  const data = new DashboardData(stack);
  const clients = new Set<Client>();
  let health: Health | null = null;
  let tickers: TickerVolume[] = [];
  const throughput: ThroughputPoint[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  data
    .follow()
    .catch((error) => logger.warn({ error: String(error) }, 'dashboard: cannot follow the topics'));

  const snapshotFor = async (client: Client): Promise<Snapshot> => {
    const ticker = client.ticker ?? tickers[0]?.ticker ?? null;
    const candles = ticker ? await data.candles(ticker).catch(() => []) : [];
    const points = client.hasHistory ? throughput.slice(-1) : throughput;
    client.hasHistory = true;
    return {
      ticker,
      tickers,
      candles,
      health,
      alerts: data.alerts,
      deadLetters: data.deadLetters,
      throughput: points,
    };
  };
  const send = async (client: Client) => {
    const snapshot = await snapshotFor(client);
    client.response.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
  };
  let tickersAt = 0;
  const refresh = async () => {
    // The ticker list sums the latest windows: a heavier query, and one that changes slowly.
    const tickersDue = tickers.length === 0 || Date.now() - tickersAt >= TICKERS_EVERY_MS;
    [health, tickers] = await Promise.all([
      data.health().catch((error) => {
        logger.debug({ error: String(error) }, 'dashboard: health read failed');
        return health;
      }),
      tickersDue ? data.tickers().catch(() => tickers) : tickers,
    ]);
    if (tickersDue) tickersAt = Date.now();
    const time = Math.floor((health?.at ?? 0) / 1000);
    const produced = health?.produced.perSecond;
    if (health && produced !== null && produced !== undefined && time > (throughput.at(-1)?.time ?? 0)) {
      throughput.push({ time, produced, stored: health.storedTrades?.perSecond ?? 0 });
      if (throughput.length > THROUGHPUT_POINTS) throughput.shift();
    }
  };
  // Reads the stack only while a page is open; one tick at a time.
  let ticking = false;
  const schedule = () => {
    if (!timer && !ticking && !closed && clients.size > 0) timer = setTimeout(tick, intervalMs);
  };
  const tick = async () => {
    timer = undefined;
    ticking = true;
    try {
      await refresh();
      await Promise.all([...clients].map((c) => send(c).catch(() => undefined)));
    } finally {
      ticking = false;
      schedule();
    }
  };

  const events = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    const client: Client = { response, ticker: url.searchParams.get('ticker') || null };
    clients.add(client);
    request.once('close', () => clients.delete(client));
    if (!health) await refresh();
    await send(client).catch(() => undefined);
    schedule();
  };

  const server = createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      // Only this machine's own pages: a foreign site's name pointed at 127.0.0.1 (DNS rebinding) is refused.
      const host = request.headers.host ?? '';
      if (!/^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host)) {
        response.writeHead(403, SECURITY_HEADERS).end('forbidden host\n');
        return;
      }
      if (request.method !== 'GET') {
        response.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET' }).end();
        return;
      }
      if (url.pathname === '/events') return await events(request, response, url);
      const file = FILES[url.pathname];
      if (!file) {
        response.writeHead(404, SECURITY_HEADERS).end('not found\n');
        return;
      }
      const body = await readFile(file.file);
      response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.type }).end(body);
    } catch (error) {
      logger.warn({ error: String(error) }, 'dashboard request failed');
      if (!response.headersSent) response.writeHead(500, SECURITY_HEADERS);
      response.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the dashboard has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const client of clients) client.response.end();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await data.close();
    },
  };
}
