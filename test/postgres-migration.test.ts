/**
 * The schema migration against a real PostgreSQL server: an old schema (a table missing, a column missing, a
 * comment lost) is brought to exactly the schema a fresh database gets, a second run changes nothing, and a
 * run PostgreSQL refuses changes nothing either. Each case works in its own PostgreSQL schema (search_path), so
 * one server serves all; the fresh database's `public` tables are the reference.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type pg from 'pg';
import { synthYaml } from '../charts/app.ts';
import { find, parseManifests } from '../charts/manifests.ts';
import { migrationJob, SINK_FRESHNESS_SQL } from '../charts/postgres.ts';
import { loadConfig } from '../src/config/index.ts';
import { LocalPostgres } from '../src/local/postgres.ts';
import { postgresDdl, postgresTables } from '../src/pipeline/analytics/index.ts';
import { METRICS_EXPORTER_ROLE, migrationSql, TRADE_TIME_INDEX } from '../src/pipeline/migration.ts';

const CONFIG = loadConfig({ env: { PROFILE: 'narrow' } });
const run = promisify(execFile);

/** Everything the migration may change, for the tables of one schema, in a stable order. */
async function describeSchema(client: pg.Client, schema: string) {
  const { rows: columns } = await client.query(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS not_null, col_description(c.oid, a.attnum) AS comment
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY 1, 2`,
    [schema],
  );
  const { rows: constraints } = await client.query(
    `SELECT c.relname AS table, k.conname AS name, pg_get_constraintdef(k.oid) AS definition
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 ORDER BY 1, 2, 3`,
    [schema],
  );
  const { rows: tables } = await client.query(
    `SELECT c.relname AS table, pg_get_userbyid(c.relowner) AS owner, obj_description(c.oid, 'pg_class') AS comment
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1`,
    [schema],
  );
  const { rows: indexes } = await client.query(
    `SELECT tablename AS table, indexname AS name FROM pg_indexes WHERE schemaname = $1 ORDER BY 1, 2`,
    [schema],
  );
  return { tables, columns, constraints, indexes };
}

describe('schema migration (real PostgreSQL)', () => {
  let db: LocalPostgres;
  let client: pg.Client;
  const tables = postgresTables(CONFIG);
  const [trades, , lateTrades] = tables;
  const migrate = (schema: string) =>
    client.query(`SET search_path TO ${schema}; ${migrationSql(CONFIG, db.user)}`);

  before(async () => {
    db = await LocalPostgres.start({ config: CONFIG, durable: false });
    client = await db.client();
  });
  after(async () => {
    await client?.end();
    await db?.stop();
  });

  it('creates every table of the registry on a fresh database (what the local stack just ran)', async () => {
    const current = await describeSchema(client, 'public');
    assert.deepEqual(
      current.tables.map((t) => t.table),
      tables.map((t) => t.name).sort(),
    );
    assert.ok(current.tables.every((t) => t.owner === db.user && t.comment));
  });

  it('brings an old schema to the current one, and a second run changes nothing', async () => {
    assert.ok(trades && lateTrades);
    // The old schema: stock_trades without its last column and one column comment, no late_trades at all.
    const dropped = trades.columns.at(-1)?.name as string;
    await client.query(`CREATE SCHEMA old; SET search_path TO old;
      ${tables
        .filter((t) => t !== lateTrades)
        .map(postgresDdl)
        .join('\n')}
      ALTER TABLE ${trades.name} DROP COLUMN ${dropped};
      COMMENT ON COLUMN ${trades.name}.ticker IS NULL;`);
    const before = await describeSchema(client, 'old');
    assert.ok(!before.columns.some((c) => c.table === trades.name && c.column === dropped));
    assert.ok(!before.tables.some((t) => t.table === lateTrades.name));

    await migrate('old');
    const current = await describeSchema(client, 'public');
    assert.deepEqual(await describeSchema(client, 'old'), current);

    // Twice: the same schema, the same objects (no table or constraint recreated), the same rows.
    const oids = `SELECT c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'old' ORDER BY 1`;
    await client.query(
      `SET search_path TO old; INSERT INTO ${trades.name} VALUES ('t-1', 'AAPL', 187.5, 100, now(), 'BUY', 'IEX', 0)`,
    );
    const objects = (await client.query(oids)).rows;
    await migrate('old');
    assert.deepEqual(await describeSchema(client, 'old'), current);
    assert.deepEqual((await client.query(oids)).rows, objects);
    assert.equal((await client.query(`SELECT count(*)::int AS n FROM old.${trades.name}`)).rows[0].n, 1);
  });

  it('changes nothing when PostgreSQL refuses a step: a NOT NULL column cannot be added to a table with rows', async () => {
    assert.ok(trades && lateTrades);
    const dropped = trades.columns.at(-1)?.name as string;
    await client.query(`CREATE SCHEMA filled; SET search_path TO filled;
      ${postgresDdl(trades)}
      ALTER TABLE ${trades.name} DROP COLUMN ${dropped};
      INSERT INTO ${trades.name} VALUES ('t-1', 'AAPL', 187.5, 100, now(), 'BUY', 'IEX');`);
    const before = await describeSchema(client, 'filled');
    await assert.rejects(
      migrate('filled'),
      new RegExp(`column "${dropped}" of relation "${trades.name}" contains null values`),
    );
    // One transaction: no other table was created either.
    assert.deepEqual(await describeSchema(client, 'filled'), before);
  });

  it("grants CloudNativePG's exporter role the sink-freshness query, answered from the trade-time index", async () => {
    assert.ok(trades);
    // The role CloudNativePG 1.30 runs its exporter's queries as; here made by hand, as the superuser.
    const admin = await db.superuserClient();
    try {
      await admin.query(`CREATE ROLE ${METRICS_EXPORTER_ROLE} NOLOGIN`);
      await client.query('CREATE SCHEMA exporter');
      await client.query(`GRANT USAGE ON SCHEMA exporter TO ${METRICS_EXPORTER_ROLE}`);
      await migrate('exporter');
      const asExporter = async (sql: string) => {
        await admin.query(`SET search_path TO exporter; SET ROLE ${METRICS_EXPORTER_ROLE}`);
        try {
          return (await admin.query(sql)).rows;
        } finally {
          await admin.query('RESET ROLE; RESET search_path');
        }
      };
      // An empty table: no row, so no series.
      assert.deepEqual(await asExporter(SINK_FRESHNESS_SQL), []);
      await client.query(`SET search_path TO exporter;
        INSERT INTO ${trades.name} SELECT 't-' || i, 'AAPL', 187.5, 100,
          (now() AT TIME ZONE 'UTC') - make_interval(secs => 20000 - i), 'BUY', 'IEX', i
        FROM generate_series(1, 20000) AS i;
        ANALYZE ${trades.name};`);
      const [row] = await asExporter(SINK_FRESHNESS_SQL);
      assert.ok(row.freshness_seconds >= 0 && row.freshness_seconds < 60, JSON.stringify(row));
      // The newest entry of the index, not a scan of the table.
      const plan = JSON.stringify(await asExporter(`EXPLAIN (FORMAT JSON) ${SINK_FRESHNESS_SQL}`));
      assert.match(plan, new RegExp(`"Index Name":"${TRADE_TIME_INDEX}"`));
      assert.match(plan, /"Scan Direction":"Backward"/);
      assert.doesNotMatch(plan, /Seq Scan/);
      // Only that table: another one stays closed to the exporter.
      await assert.rejects(asExporter(`SELECT count(*) FROM ${tables[1]?.name}`), /permission denied/);
    } finally {
      await admin.end();
    }
  });

  it("runs the Kubernetes Job's own psql command, twice, to the same schema", async () => {
    // The owner the Job connects as is the Secret's user: here the local app user.
    const config = loadConfig({ env: { PROFILE: CONFIG.profile, KUBERNETES_POSTGRES_OWNER: db.user } });
    const job = find(parseManifests(synthYaml(config)), 'Job', migrationJob(config).name);
    const [container] = (job.spec as { template: { spec: { containers: { command: string[] }[] } } }).template
      .spec.containers;
    const [psql, ...args] = container?.command ?? [];
    await client.query('CREATE SCHEMA job');
    // The Job's environment, minus TLS (the local server has none): the Secret's keys become PG* variables.
    // search_path through PGOPTIONS, so that the Job's tables land apart from the reference ones.
    const env = {
      PATH: process.env.PATH,
      PGHOST: '127.0.0.1',
      PGPORT: String(db.port),
      PGDATABASE: db.database,
      PGUSER: db.user,
      PGPASSWORD: db.password,
      PGOPTIONS: '-c search_path=job',
    };
    for (let i = 0; i < 2; i++) await run(psql as string, args, { env });
    const migrated = await describeSchema(client, 'job');
    const current = await describeSchema(client, 'public');
    assert.deepEqual(migrated, current);
  });
});
