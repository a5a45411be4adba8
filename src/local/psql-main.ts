/**
 * `npm run psql`: psql against the stack `npm start` runs, as its app user (password from the stack's pgpass
 * file). Extra arguments go to psql: `npm run psql -- -c "SELECT ..."`.
 */
import { spawn } from 'node:child_process';
import { AccessError, findPsql, runAccessCommand, runningState } from './access.ts';

await runAccessCommand(async () => {
  const { postgres } = runningState();
  const psql = findPsql();
  if (!psql)
    throw new AccessError(
      'no psql found on the PATH or under /usr/lib/postgresql/*/bin (apt-get install postgresql-client)',
    );
  // Connection by environment, so that arguments such as -d or -U still override it.
  const child = spawn(psql, process.argv.slice(2), {
    stdio: 'inherit',
    env: {
      ...process.env,
      PGHOST: postgres.host,
      PGPORT: String(postgres.port),
      PGDATABASE: postgres.database,
      PGUSER: postgres.user,
      PGPASSFILE: postgres.passwordFile,
    },
  });
  // Ctrl-C belongs to psql (it cancels the running query); this process only waits for psql to end.
  process.on('SIGINT', () => {});
  return new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
});
