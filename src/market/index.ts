/** The deterministic market simulator: tickers, price paths, labelled scenarios, volumes and trades (pure, no I/O). */
export * from './prices.ts';
export * from './random.ts';
export * from './scenarios.ts';
export * from './tickers.ts';
export * from './trades.ts';
