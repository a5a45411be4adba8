import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  AccessError,
  accessBanner,
  consoleConsumerCommand,
  deadLetterLine,
  findPsql,
  NO_STACK,
  passwordFile,
  pgpassLine,
  removeState,
  runningState,
  type StackFacts,
  stateDir,
  stateFile,
  writeState,
} from './access.ts';

const PASSWORD = 'pa:ss\\word-not-for-logs';

const facts = (pid = process.pid): StackFacts => ({
  pid,
  startedAt: '2026-12-01T00:00:00.000Z',
  profile: 'narrow',
  kafka: {
    bootstrap: '127.0.0.1:40001',
    tradeTopics: ['trades-00', 'trades-01', 'trades-02'],
    alertsTopic: 'alerts',
    deadLetterTopic: 'trades-dlq',
    toolsClasspath: '/opt/kafka jars/*',
  },
  postgres: { host: '127.0.0.1', port: 40002, database: 'tradestream', user: 'app' },
  flink: { webUrl: 'http://127.0.0.1:40003' },
});

const tempDirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tradestream-access-test-'));
  tempDirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A pid that was alive a moment ago and is not any more. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid as number;

describe('local stack state file', () => {
  it('lives in TRADESTREAM_STATE_DIR, else XDG_RUNTIME_DIR/tradestream, else ~/.cache/tradestream', () => {
    assert.equal(stateDir({ TRADESTREAM_STATE_DIR: '/x', XDG_RUNTIME_DIR: '/run/user/1' }), '/x');
    assert.equal(stateDir({ XDG_RUNTIME_DIR: '/run/user/1' }), '/run/user/1/tradestream');
    assert.match(stateDir({}), /\/\.cache\/tradestream$/);
  });

  it('is written with the password only in a 0600 pgpass file, and read back while its process lives', async () => {
    const dir = join(tempDir(), 'state');
    const state = await writeState(facts(), { postgres: PASSWORD }, dir);
    assert.equal(state.postgres.passwordFile, passwordFile(dir));
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(passwordFile(dir)).mode & 0o777, 0o600);
    assert.equal(readFileSync(passwordFile(dir), 'utf8'), pgpassLine(state.postgres, PASSWORD));
    const text = readFileSync(stateFile(dir), 'utf8');
    assert.ok(!text.includes('pa:ss') && !text.includes('word-not-for-logs'));
    assert.deepEqual(runningState(dir), state);
  });

  it('escapes : and \\ in pgpass fields', () => {
    const line = pgpassLine(facts().postgres, 'a:b\\c');
    assert.equal(line, '127.0.0.1:40002:tradestream:app:a\\:b\\\\c\n');
  });

  it('reports no stack when there is no file, or its process is gone', async () => {
    const dir = tempDir();
    assert.throws(() => runningState(dir), new AccessError(NO_STACK));
    await writeState(facts(deadPid()), { postgres: PASSWORD }, dir);
    assert.throws(() => runningState(dir), new AccessError(NO_STACK));
  });

  it('is removed only by the process it names', async () => {
    const dir = tempDir();
    await writeState(facts(), { postgres: PASSWORD }, dir);
    removeState(process.pid + 1, dir);
    assert.ok(existsSync(stateFile(dir)));
    removeState(process.pid, dir);
    assert.ok(!existsSync(stateFile(dir)) && !existsSync(passwordFile(dir)));
    removeState(process.pid, dir); // twice is fine
  });
});

describe('access banner', () => {
  it('says how to connect, with no password', async () => {
    const dir = tempDir();
    const banner = accessBanner(await writeState(facts(), { postgres: PASSWORD }, dir), dir);
    for (const part of ['npm run psql', 'npm run alerts', 'npm run dead-letters', stateFile(dir)])
      assert.ok(banner.includes(part), part);
    assert.match(banner, /host 127\.0\.0\.1 port 40002 database tradestream user app, password in \S+pgpass/);
    assert.match(banner, /bootstrap 127\.0\.0\.1:40001; topics trades-00\.\.trades-02, alerts, trades-dlq/);
    assert.ok(!banner.includes('pa:ss') && !banner.includes('word-not-for-logs'));
  });

  it('prints the console consumer with a quoted classpath, or not at all without one', async () => {
    const state = await writeState(facts(), { postgres: PASSWORD }, tempDir());
    assert.equal(
      consoleConsumerCommand(state, 'alerts'),
      "java -cp '/opt/kafka jars/*' org.apache.kafka.tools.consumer.ConsoleConsumer " +
        '--bootstrap-server 127.0.0.1:40001 --topic alerts --from-beginning',
    );
    const { toolsClasspath: _, ...kafka } = state.kafka;
    assert.equal(consoleConsumerCommand({ ...state, kafka }, 'alerts'), undefined);
  });
});

describe('findPsql', () => {
  it('takes psql from the PATH first, else the newest Debian version', () => {
    const root = tempDir();
    const executable = (path: string) => {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, '#!/bin/sh\n');
      chmodSync(path, 0o755);
    };
    executable(join(root, 'debian/9/bin/psql'));
    executable(join(root, 'debian/16/bin/psql'));
    mkdirSync(join(root, 'debian/17/bin'), { recursive: true }); // a version without psql
    assert.equal(findPsql(join(root, 'nothing'), join(root, 'debian')), join(root, 'debian/16/bin/psql'));
    executable(join(root, 'bin/psql'));
    assert.equal(
      findPsql(`${join(root, 'nothing')}:${join(root, 'bin')}`, join(root, 'debian')),
      join(root, 'bin/psql'),
    );
    assert.equal(findPsql('', join(root, 'none')), undefined);
  });
});

describe('deadLetterLine', () => {
  it('is the headers and the payload, as text when it is UTF-8 and base64 when not', () => {
    const headers = { reason: Buffer.from('not JSON'), source_topic: Buffer.from('trades-00') };
    assert.deepEqual(JSON.parse(deadLetterLine({ headers, value: Buffer.from('{"a":') })), {
      reason: 'not JSON',
      source_topic: 'trades-00',
      payload: '{"a":',
    });
    assert.deepEqual(JSON.parse(deadLetterLine({ headers: {}, value: Buffer.from([0xff, 0x00]) })), {
      payload_base64: '/wA=',
    });
    assert.deepEqual(JSON.parse(deadLetterLine({ value: null })), { payload: null });
  });
});
