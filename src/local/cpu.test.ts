import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { treesCpuSeconds } from './cpu.ts';

describe('treesCpuSeconds', () => {
  it("counts a process's children, live and exited, and reads 0 once it is gone", async () => {
    // A shell that burns ~0.6 s of CPU in a child that exits, then waits in a second, idle child.
    const shell = spawn('sh', ['-c', 'timeout 0.6 sh -c "while :; do :; done"; sleep 5'], {
      stdio: 'ignore',
    });
    const pid = shell.pid as number;
    await new Promise((r) => setTimeout(r, 1_200));
    const [used = 0, self = 0, unknown] = await treesCpuSeconds([pid, process.pid, undefined]);
    assert.ok(used >= 0.3 && used < 2, `the exited busy child is counted: ${used} s`);
    assert.ok(self > 0, 'each root from the same reading');
    assert.ok(Number.isNaN(unknown));
    shell.kill('SIGKILL');
    await once(shell, 'exit');
    assert.deepEqual(await treesCpuSeconds([pid]), [0]);
  });
});
