import { readdirSync, readFileSync } from 'node:fs';
import { mysqlServer } from './database.js';

/** Linux's clock ticks per second for /proc/<pid>/stat (USER_HZ: 100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

/** CPU time used over a window, in ms: this process (all its threads) and, when it runs here, the database server. */
export interface CpuSpent {
  processMs: number;
  databaseMs: number | null;
}

/**
 * CPU time is steadier than a rate on a shared machine: a run that other work slows gets fewer
 * rows per second, but each row costs about the same CPU. Per delivered row, it tells whether a
 * change made delivery cost more, whatever the machine's load did meanwhile.
 */
export function measureCpu(): { stop(): CpuSpent } {
  const start = process.cpuUsage();
  const pid = localDatabasePid();
  const dbStart = pid === null ? null : ticksOf(pid);
  return {
    stop: () => {
      const used = process.cpuUsage(start);
      const dbEnd = pid === null ? null : ticksOf(pid);
      return {
        processMs: (used.user + used.system) / 1000,
        databaseMs: dbStart === null || dbEnd === null ? null : ((dbEnd - dbStart) * 1000) / TICKS_PER_SECOND,
      };
    },
  };
}

/** The MariaDB/MySQL server's pid when the benchmark's database is on this machine (else null). */
function localDatabasePid(): number | null {
  const host = new URL(mysqlServer).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return null;
  for (const entry of readdirSync('/proc', { withFileTypes: true })) {
    if (!entry.isDirectory() || !/^\d+$/.test(entry.name)) continue;
    try {
      const name = readFileSync(`/proc/${entry.name}/comm`, 'utf8').trim();
      if (name === 'mariadbd' || name === 'mysqld') return Number(entry.name);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return null;
}

/** utime + stime of a process, in clock ticks; null when it cannot be read. */
function ticksOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}
