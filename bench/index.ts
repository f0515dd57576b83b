import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { childNodeFlags } from './lib/child.js';
import { describeMachine } from './lib/machine.js';
import { Receiver } from './lib/receiver.js';
import { failedRow, type BenchRow, type ScenarioResult } from './lib/result.js';
import { writeReport } from './lib/report.js';
import { settingsFor } from './lib/settings.js';
import { textTable } from './lib/table.js';
import type { BenchContext } from './lib/context.js';
import { backlog } from './scenarios/backlog.js';
import { chatOverhead } from './scenarios/chat-overhead.js';
import { latency } from './scenarios/latency.js';
import { memory } from './scenarios/memory.js';
import { ordering } from './scenarios/ordering.js';
import { sweeperScaling } from './scenarios/sweeper-scaling.js';
import { throughput } from './scenarios/throughput.js';

/**
 * `npm run bench [-- --quick] [-- --only 2,4] [-- --cpu-prof] [-- --no-write]`
 *
 * Runs the six benchmarks of issue 7 against MariaDB on 127.0.0.1:3306, prints the table and,
 * for a complete run, writes BENCHMARKS.md. --cpu-prof writes V8 CPU profiles of this process and
 * of every child process into bench/profiles/ (open them in Chrome DevTools or speedscope).
 */
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});

const root = fileURLToPath(new URL('..', import.meta.url));
const profileDir = fileURLToPath(new URL('./profiles/', import.meta.url));

if (values['cpu-prof'] && !process.execArgv.some((a) => a.startsWith('--cpu-prof'))) {
  // Profiling must be on from the first line: run this same command again under --cpu-prof.
  mkdirSync(profileDir, { recursive: true });
  const args = ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  process.exit(spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1);
}
if (values['cpu-prof']) childNodeFlags.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);

interface Scenario {
  id: string;
  title: string;
  /** Rows shown when the scenario fails before measuring anything. */
  rows: { id: string; name: string; target: string }[];
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

const scenarios: Scenario[] = [
  {
    id: '1',
    title: '1. Chat overhead',
    rows: [{ id: '1', name: 'Chat overhead (message:send ack)', target: 'p99 ≤ 1.20×' }],
    run: chatOverhead,
  },
  {
    id: '2',
    title: '2. Delivery throughput, durable',
    rows: [
      { id: '2a', name: 'Delivery throughput vs ceiling', target: '≥ 50 %' },
      { id: '2b', name: 'Delivery throughput vs naive', target: '≥ 3×' },
    ],
    run: throughput,
  },
  {
    id: '3',
    title: '3. Event-to-receiver latency',
    rows: [{ id: '3', name: 'Event-to-receiver latency', target: 'p99 ≤ raw + 25 ms' }],
    run: latency,
  },
  {
    id: '4',
    title: '4. Sweeper scaling',
    rows: [
      { id: '4a', name: 'Sweeper: sweepOnce() scaling', target: '≤ 1.50×' },
      { id: '4b', name: 'Sweeper: claim of 1,000 due', target: '≤ 1.50×' },
    ],
    run: sweeperScaling,
  },
  {
    id: '5',
    title: '5. Backlog drain',
    rows: [{ id: '5', name: 'Backlog drain', target: '≥ 50 % of figure 2' }],
    run: backlog,
  },
  {
    id: '6',
    title: '6. Memory',
    rows: [{ id: '6', name: 'Memory per widget socket', target: '≤ 15 KB' }],
    run: memory,
  },
  {
    id: '7',
    title: "7. Order's cost",
    rows: [{ id: '7', name: "Order's cost: 1 conversation vs 100", target: 'shown, no target' }],
    run: ordering,
  },
];

const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : null;
const selected = scenarios.filter((s) => !only || only.has(s.id));
const settings = settingsFor(values.quick);
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const started = performance.now();
const date = new Date();
const machine = await describeMachine();
const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

log(`${command}: ${machine.cpu} × ${machine.cores}, ${machine.memory}, node ${machine.node}, ${machine.database}, load ${machine.load}`);
const receiver = await Receiver.start();
const rows: BenchRow[] = [];
const figures = new Map<string, number>();
const sections: { title: string; details: string[] }[] = [];
try {
  for (const scenario of selected) {
    log(scenario.title);
    const t0 = performance.now();
    try {
      const result = await scenario.run({ settings, receiver, figures, log: (line) => log(`  ${line}`) });
      rows.push(...result.rows);
      sections.push({ title: `${scenario.title} (${Math.round((performance.now() - t0) / 1000)} s)`, details: result.details });
    } catch (err) {
      log(`  FAILED: ${(err as Error).stack ?? err}`);
      rows.push(...scenario.rows.map((r) => failedRow(r.id, r.name, r.target, err)));
      sections.push({ title: scenario.title, details: [`Not measured: ${(err as Error).message}`] });
    }
  }
} finally {
  await receiver.stop();
}

const seconds = (performance.now() - started) / 1000;
for (const section of sections) console.log(`\n## ${section.title}\n\n${section.details.join('\n')}`);
console.log(`\n${textTable(rows)}\n\n${selected.length} benchmark(s) in ${seconds.toFixed(0)} s (${values.quick ? 'quick' : 'full'} run).`);
if (!only && !values['no-write']) {
  const path = `${root}BENCHMARKS.md`;
  const loadAtEnd = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  writeReport(path, { command, date, quick: values.quick, seconds, machine, loadAtEnd, rows, sections, findingsPath: `${root}bench/FINDINGS.md` });
  console.log(`Wrote ${path}.`);
}
// A handle left open by a scenario must not keep a finished benchmark alive.
process.exit(rows.every((r) => r.met !== false) ? 0 : 1);
