/**
 * `npm run sql [-- --profile wide] [--delivery exactly-once]`: prints the generated Flink SQL script for the
 * config (defaults <- environment <- flags). The script holds placeholders, never secrets.
 */
import { Command } from 'commander';
import { loadConfig, runMain } from '../config/index.ts';
import { pipelineSql } from './sql.ts';

const program = new Command('sql')
  .description('print the Flink SQL job generated from the schema and the pipeline config')
  .option('--profile <name>', 'schema profile (narrow or wide)')
  .option('--delivery <guarantee>', 'alerts delivery guarantee (at-least-once or exactly-once)')
  .parse();
const flags = program.opts<{ profile?: string; delivery?: string }>();

await runMain(() => {
  const config = loadConfig({
    overrides: {
      profile: flags.profile as never,
      flink: { deliveryGuarantee: flags.delivery as never },
    },
  });
  process.stdout.write(pipelineSql(config));
});
