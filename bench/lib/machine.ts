import os from 'node:os';
import { databaseVersion } from './database.js';

export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  os: string;
  node: string;
  database: string;
  load: string;
}

/** What the figures were measured on: they mean little without it. */
export async function describeMachine(): Promise<Machine> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    database: `MariaDB/MySQL ${await databaseVersion()}`,
    load: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}
