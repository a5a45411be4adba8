/** The kafkajs trade producer: programmatic API (main.ts is the command). */
export * from './batcher.ts';
export * from './cli.ts';
export * from './encode.ts';
export * from './identity.ts';
export * from './producer.ts';
export * from './rate.ts';
export * from './routing.ts';
