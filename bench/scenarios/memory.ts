import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'socket.io-client';
import { startServerProcess } from '../lib/server-process.js';
import { connectVisitors } from '../lib/visitors.js';
import { bytes, count, kilobytes } from '../lib/format.js';
import type { BenchContext } from '../lib/context.js';
import type { ScenarioResult } from '../lib/result.js';

/**
 * 6. Memory: RSS of the server (its own process, read after a full GC) before and after N widget
 * sockets connect, divided by N. Webhooks are irrelevant to an idle socket, so none is configured.
 */
export async function memory({ settings, log }: BenchContext): Promise<ScenarioResult> {
  const n = settings.memory.sockets;
  const server = await startServerProcess();
  let sockets: Socket[] = [];
  try {
    // Warm-up: load every lazily required module and grow the pools once, then let them go.
    const warm = await connectVisitors(server.url, 100);
    for (const s of warm) s.close();
    await sleep(1000);
    const before = await server.memory();
    const t0 = performance.now();
    sockets = await connectVisitors(server.url, n, 100);
    const connectSeconds = (performance.now() - t0) / 1000;
    await sleep(1000);
    const held = await server.sockets();
    const after = await server.memory();
    const perSocket = (after.rss - before.rss) / n;
    const heapPerSocket = (after.heapUsed - before.heapUsed) / n;
    log(`${count(held)} sockets held; RSS ${bytes(before.rss)} → ${bytes(after.rss)}: ${bytes(perSocket)} per socket (heap ${bytes(heapPerSocket)})`);
    if (held < n) throw new Error(`the server holds ${held} of ${n} sockets`);
    return {
      rows: [
        {
          id: '6',
          name: 'Memory per widget socket',
          figure: `${kilobytes(perSocket)} RSS per socket`,
          baseline: `RSS ${bytes(before.rss)} → ${bytes(after.rss)} (${count(n)} sockets)`,
          result: kilobytes(perSocket),
          target: '≤ 15 KB',
          met: perSocket <= 15_000,
        },
      ],
      details: [
        `${count(n)} widget sockets (socket.io-client, WebSocket, each a new visitor with its session) connected in ${connectSeconds.toFixed(1)} s ` +
          `to the server in its own process. Memory read in that process after ${before.gcRan ? 'global.gc()' : 'no forced GC (run node with --expose-gc)'}.`,
        '',
        '| | before | after | per socket |',
        '| --- | --- | --- | --- |',
        `| RSS | ${bytes(before.rss)} | ${bytes(after.rss)} | ${bytes(perSocket)} |`,
        `| V8 heap used | ${bytes(before.heapUsed)} | ${bytes(after.heapUsed)} | ${bytes(heapPerSocket)} |`,
        `| external | ${bytes(before.external)} | ${bytes(after.external)} | ${bytes((after.external - before.external) / n)} |`,
      ],
    };
  } finally {
    for (const s of sockets) s.close();
    await server.stop();
  }
}
