/** Every valid trade as it was traded, upserted on trade_id: a replay after a restart rewrites the same rows. */
import type { PipelineConfig } from '../../config/index.ts';
import { columnsOf, TRADE_KEY, TRADES_TABLE } from '../../schema/index.ts';
import { postgresSinkDdl, storedValue } from '../flink-sql.ts';
import { TRADES_VIEW } from '../source.ts';
import type { Analytic, PostgresTable } from './analytic.ts';

const table = ({ profile }: PipelineConfig): PostgresTable => ({
  name: TRADES_TABLE,
  columns: columnsOf(profile),
  key: [TRADE_KEY],
  comment: 'Every valid trade, once, as the producer wrote it',
});

export const rawTrades = {
  name: 'raw trades',
  table,
  sinkDdl: (config) => postgresSinkDdl(config, table(config)),
  insert(config) {
    return `INSERT INTO ${TRADES_TABLE}
SELECT ${columnsOf(config.profile).map(storedValue).join(', ')}
FROM ${TRADES_VIEW}`;
  },
} satisfies Analytic;
