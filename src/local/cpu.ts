/**
 * CPU time of a local server as the kernel counts it (/proc, Linux): a process and every process under it, so a
 * PostgreSQL server (postmaster and backends, under runuser) or a JVM reads as one figure. The benchmark sets it
 * beside the rows it bought.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc's times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

interface ProcStat {
  ppid: number;
  /** Own user + system ticks, and those of its children already reaped (cutime + cstime). */
  ticks: number;
}

async function procStat(pid: string): Promise<ProcStat | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  // Fields after the command name (which may hold spaces): state, ppid, ..., utime (12th), stime, cutime, cstime.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return { ppid: Number(fields[1]), ticks };
}

/**
 * User + system CPU seconds used by each root process and all its descendants, live or exited, from one reading
 * of /proc: each live process's own time plus its reaped children's, so a backend that exits between two readings
 * is counted once. 0 for a root that is gone, NaN for an unknown one (undefined).
 */
export async function treesCpuSeconds(roots: readonly (number | undefined)[]): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const stats = new Map<number, ProcStat>();
  await Promise.all(
    pids.map(async (pid) => {
      const stat = await procStat(pid);
      if (stat) stats.set(Number(pid), stat);
    }),
  );
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of stats) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  return roots.map((root) => {
    if (root === undefined) return Number.NaN;
    let ticks = 0;
    const pending = stats.has(root) ? [root] : [];
    for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
      ticks += stats.get(pid)?.ticks ?? 0;
      pending.push(...(children.get(pid) ?? []));
    }
    return ticks / CLOCK_TICKS;
  });
}
