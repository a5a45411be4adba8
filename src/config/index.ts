export * from './kafka-connection.ts';
export * from './kubernetes.ts';
export * from './load.ts';
export * from './schema.ts';
export * from './topics.ts';
