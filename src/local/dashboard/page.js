// The live dashboard page: draws each snapshot of the server's event stream (server.ts). Every value from the
// stack is hostile (alert fields, dead-letter payloads): it reaches the page as text (textContent) only.

const { createChart, CandlestickSeries, LineSeries, HistogramSeries } = globalThis.LightweightCharts;

const $ = (selector) => document.querySelector(selector);
const number = (n, digits = 0) =>
  n === null || n === undefined || Number.isNaN(n)
    ? '-'
    : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const rate = (n) => (n === null || n === undefined ? '' : `${number(n, 1)}/s`);
const bytes = (n) => (n >= 1 << 20 ? `${number(n / (1 << 20), 1)} MiB` : `${number(n / 1024, 1)} KiB`);
const clock = (ms, digits = 23) =>
  Number.isFinite(Number(ms)) ? new Date(Number(ms)).toISOString().slice(11, digits) : String(ms);

/** A table cell (or any element) holding `text` as text. */
function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '' : String(text);
  td.title = td.textContent;
  if (className) td.className = className;
  return td;
}

function fillTable(tbody, rows) {
  tbody.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement('tr');
      tr.append(...cells);
      return tr;
    }),
  );
}

function setTile(name, value, detail) {
  const figure = document.querySelector(`[data-figure="${name}"]`);
  figure.textContent = value;
  const small = figure.nextElementSibling;
  small.textContent = detail ?? '';
  small.title = small.textContent;
}

const chartOptions = {
  autoSize: true,
  layout: { background: { color: '#171d24' }, textColor: '#d8dee6', attributionLogo: true },
  grid: { vertLines: { color: '#222a33' }, horzLines: { color: '#222a33' } },
  timeScale: { timeVisible: true, secondsVisible: true },
};

const candleChart = createChart($('#candles'), chartOptions);
const candles = candleChart.addSeries(CandlestickSeries, {
  upColor: '#26a69a',
  downColor: '#ef5350',
  borderVisible: false,
  wickUpColor: '#26a69a',
  wickDownColor: '#ef5350',
});
const vwap = candleChart.addSeries(LineSeries, { color: '#f0b429', lineWidth: 2, title: 'VWAP' });
const volume = candleChart.addSeries(HistogramSeries, {
  color: '#3d4b5c',
  priceFormat: { type: 'volume' },
  priceScaleId: 'volume',
  lastValueVisible: false,
  priceLineVisible: false,
});
candleChart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
// Candles above the volume bars.
candles.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.25 } });

const throughputChart = createChart($('#throughput'), chartOptions);
const producedLine = throughputChart.addSeries(LineSeries, {
  color: '#4aa3ff',
  lineWidth: 2,
  title: 'produced',
});
const storedLine = throughputChart.addSeries(LineSeries, { color: '#26a69a', lineWidth: 2, title: 'stored' });
let lastThroughputTime = 0;

let ticker = new URLSearchParams(location.search).get('ticker') ?? '';
let drawnTicker = null;
let source;

function connect() {
  source?.close();
  source = new EventSource(`/events${ticker ? `?ticker=${encodeURIComponent(ticker)}` : ''}`);
  source.addEventListener('snapshot', (event) => draw(JSON.parse(event.data)));
  source.addEventListener('error', () => {
    $('#job-state').textContent = 'reconnecting';
    $('#job-state').className = 'badge bad';
  });
}

$('#ticker').addEventListener('change', (event) => {
  ticker = event.target.value;
  const url = new URL(location.href);
  url.searchParams.set('ticker', ticker);
  history.replaceState(null, '', url);
  connect();
});

function drawTickers(snapshot) {
  const select = $('#ticker');
  const names = snapshot.tickers.map((t) => t.ticker);
  if (snapshot.ticker && !names.includes(snapshot.ticker)) names.unshift(snapshot.ticker);
  const current = [...select.options].map((o) => o.value);
  if (current.join('\n') !== names.join('\n'))
    select.replaceChildren(
      ...names.map((name) => {
        const option = document.createElement('option');
        option.value = name;
        option.textContent = name;
        return option;
      }),
    );
  if (snapshot.ticker) select.value = snapshot.ticker;
}

function drawCandles(snapshot) {
  const rows = snapshot.candles;
  candles.setData(rows.map(({ time, open, high, low, close }) => ({ time, open, high, low, close })));
  vwap.setData(rows.map(({ time, vwap }) => ({ time, value: vwap })));
  volume.setData(
    rows.map(({ time, volume, open, close }) => ({
      time,
      value: volume,
      color: close >= open ? '#1f5f58' : '#6b2a2a',
    })),
  );
  // Few candles fill the width; once there are many, a zoom or scroll of the reader's is kept.
  if (drawnTicker !== snapshot.ticker || rows.length < 120) candleChart.timeScale().fitContent();
  drawnTicker = snapshot.ticker;
  const chart = $('#candles');
  chart.dataset.ticker = snapshot.ticker ?? '';
  chart.dataset.points = String(rows.length);
}

function drawHealth(health) {
  if (!health) return;
  const { job } = health;
  const badge = $('#job-state');
  badge.textContent = `job ${job.state}`;
  badge.title = job.lastFailure ?? '';
  badge.className = `badge ${job.state === 'RUNNING' ? 'ok' : 'bad'}`;
  $('#updated').textContent = `updated ${clock(health.at)} UTC`;

  setTile('produced', number(health.produced.total), rate(health.produced.perSecond));
  setTile('stored', number(health.storedTrades?.total), rate(health.storedTrades?.perSecond));
  setTile(
    'lag',
    number(health.lag.pendingRecords),
    `Flink pending records; group lag ${number(health.lag.groupLag)}`,
  );
  setTile(
    'freshness',
    health.sinkFreshnessSeconds === null ? '-' : `${number(health.sinkFreshnessSeconds, 1)} s`,
    'now minus the newest stored trade',
  );
  const checkpoints = health.checkpoints;
  setTile(
    'checkpoints',
    checkpoints ? number(checkpoints.completed) : '-',
    checkpoints
      ? `failed ${number(checkpoints.failed)}; last ${number(checkpoints.lastDurationMs)} ms, ${bytes(checkpoints.lastSizeBytes)}`
      : '',
  );
  const worst = [...health.tasks].sort((a, b) => b.backPressuredMsPerSecond - a.backPressuredMsPerSecond)[0];
  const busiest = [...health.tasks].sort((a, b) => b.busyMsPerSecond - a.busyMsPerSecond)[0];
  setTile(
    'backpressure',
    worst ? `${number(worst.backPressuredMsPerSecond)} ms/s` : '-',
    busiest ? `busiest task ${number(busiest.busyMsPerSecond)} ms/s busy` : '',
  );
  setTile(
    'restarts',
    number(job.restarts + job.recoveries),
    `${number(job.restarts)} by Flink, ${number(job.recoveries)} JVM replaced; late dropped ${number(health.lateRecordsDropped)}`,
  );
  setTile('alerts', number(health.alerts.total), rate(health.alerts.perSecond));
  setTile('dead-letters', number(health.deadLetters.total), rate(health.deadLetters.perSecond));

  fillTable(
    $('#tables tbody'),
    health.stored.map((t) => [
      cell(t.table),
      cell(number(t.total), 'num'),
      cell(number(t.perSecond, 1), 'num'),
    ]),
  );
  fillTable(
    $('#tasks tbody'),
    health.tasks.map((t) => [
      cell(t.name),
      cell(number(t.recordsInPerSecond, 1), 'num'),
      cell(number(t.recordsOutPerSecond, 1), 'num'),
      cell(number(t.busyMsPerSecond), 'num'),
      cell(number(t.backPressuredMsPerSecond), 'num'),
    ]),
  );
}

function drawThroughput(points) {
  const fresh = points.filter((p) => p.time > lastThroughputTime);
  if (fresh.length === 0) return;
  for (const { time, produced, stored } of fresh) {
    producedLine.update({ time, value: produced });
    storedLine.update({ time, value: stored });
  }
  lastThroughputTime = fresh.at(-1).time;
  throughputChart.timeScale().fitContent();
  const chart = $('#throughput');
  chart.dataset.points = String(Number(chart.dataset.points) + fresh.length);
}

function drawAlerts(alerts) {
  fillTable(
    $('#alerts tbody'),
    alerts.map((a) => [
      cell(clock(a.time, 19)),
      cell(a.ticker),
      cell(a.price, 'num'),
      cell(number(Number(a.volume)), 'num'),
      cell(
        Object.entries(a.details)
          .filter(([, v]) => v !== null)
          .map(([k, v]) => `${k} ${typeof v === 'number' ? number(v, 2) : v}`)
          .join(', '),
      ),
    ]),
  );
}

function drawDeadLetters(deadLetters) {
  fillTable(
    $('#dead-letters tbody'),
    deadLetters.map((d) => [
      cell(clock(d.timestamp, 19)),
      cell(d.reason),
      cell(d.origin.join(' / ')),
      cell(d.payload === null ? '(null)' : d.payload, 'payload'),
    ]),
  );
}

function draw(snapshot) {
  drawTickers(snapshot);
  drawCandles(snapshot);
  drawHealth(snapshot.health);
  drawThroughput(snapshot.throughput);
  drawAlerts(snapshot.alerts);
  drawDeadLetters(snapshot.deadLetters);
  document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots ?? 0) + 1);
}

connect();
