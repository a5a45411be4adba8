/** The deterministic market simulator: tickers, price paths, volumes and trades (pure, no I/O). */
export * from './prices.ts';
export * from './random.ts';
export * from './tickers.ts';
export * from './trades.ts';
