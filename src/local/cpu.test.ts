import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { treeCpuSeconds } from './cpu.ts';

describe('treeCpuSeconds', () => {
  it("counts a process's children, live and exited, and reads 0 once it is gone", async () => {
    // A shell that burns ~0.6 s of CPU in a child that exits, then waits in a second, idle child.
    const shell = spawn('sh', ['-c', 'timeout 0.6 sh -c "while :; do :; done"; sleep 5'], {
      stdio: 'ignore',
    });
    const pid = shell.pid as number;
    await new Promise((r) => setTimeout(r, 1_200));
    const used = await treeCpuSeconds(pid);
    assert.ok(used >= 0.3 && used < 2, `the exited busy child is counted: ${used} s`);
    shell.kill('SIGKILL');
    await once(shell, 'exit');
    assert.equal(await treeCpuSeconds(pid), 0);
  });
});
