/**
 * `npm run chaos`: breaks things on purpose and prints what held.
 *
 *   npm run chaos                     every fault scenario, then the fuzz
 *   npm run chaos -- --only=sigkill   some scenarios (sigkill, outage, partition, pair, redis, shutdown, receivers, retention, fuzz)
 *   npm run chaos -- --write          also records the figures in RELIABILITY.md
 *
 * Needs MariaDB on 127.0.0.1:3306 (MYSQL_TEST_URL overrides) and Redis on 127.0.0.1:6379
 * (REDIS_URL overrides) for the two-instance scenario; the Redis outage starts its own
 * redis-server (on PATH) on a free port. Exits 1 when anything acknowledged was
 * lost, a fuzz case failed, or a scenario reported a problem.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fuzzEverything, type FuzzFigures } from './fuzz-all.js';
import { repoRoot } from './support/child-server.js';
import type { ScenarioFigures } from './support/figures.js';
import { databaseOutage } from './scenarios/db-outage.js';
import { gracefulShutdown } from './scenarios/graceful-shutdown.js';
import { receiverMisbehaviour } from './scenarios/receiver-misbehaviour.js';
import { redisOutage } from './scenarios/redis-outage.js';
import { retentionAtSize } from './scenarios/retention.js';
import { sigkillUnderLoad } from './scenarios/sigkill.js';
import { twoInstances } from './scenarios/two-instances.js';

const scenarios: Record<string, () => Promise<ScenarioFigures>> = {
  sigkill: () => sigkillUnderLoad({ kills: 3, visitors: 12 }),
  outage: () => databaseOutage({ outageMs: 15_000, mode: 'refuse' }),
  partition: () => databaseOutage({ outageMs: 10_000, mode: 'blackhole' }),
  pair: () => twoInstances(),
  redis: () => redisOutage(),
  shutdown: () => gracefulShutdown(),
  receivers: () => receiverMisbehaviour(),
  retention: () => retentionAtSize({ rows: 20_000 }),
};

const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const write = args.includes('--write');
const selected = (name: string) => !only || only.includes(name);

let unhandled = 0;
process.on('unhandledRejection', (reason) => {
  unhandled++;
  console.error('unhandled rejection:', reason);
});

function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]!);
  const width = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(width[i]!)).join(' | ')} |`;
  return [line(columns), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => String(r[c]))))].join('\n');
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const results: ScenarioFigures[] = [];
  for (const [name, run] of Object.entries(scenarios)) {
    if (!selected(name)) continue;
    process.stdout.write(`running ${name} ... `);
    const t0 = Date.now();
    try {
      const figures = await run();
      results.push(figures);
      console.log(`${figures.problems.length === 0 ? 'held' : 'PROBLEMS'} (${Math.round((Date.now() - t0) / 1000)} s)`);
    } catch (err) {
      console.log('CRASHED');
      results.push({ scenario: name, sent: 0, acknowledged: 0, delivered: 0, lost: 0, duplicates: 0, faults: 0, details: {}, problems: [`the scenario itself failed: ${(err as Error).stack ?? err}`] });
    }
  }

  let fuzz: FuzzFigures[] = [];
  if (selected('fuzz')) {
    process.stdout.write('running fuzz ... ');
    const t0 = Date.now();
    fuzz = await fuzzEverything({ restCases: Number(process.env.FUZZ_CASES ?? 2000), socketCases: Number(process.env.FUZZ_CASES ?? 1500), seed: Number(process.env.FUZZ_SEED ?? 0) });
    console.log(`done (${Math.round((Date.now() - t0) / 1000)} s)`);
  }

  const sum = (f: (s: ScenarioFigures) => number) => results.reduce((n, s) => n + f(s), 0);
  const scenarioTable = table([
    ...results.map((s) => ({
      scenario: s.scenario,
      sent: s.sent,
      acknowledged: s.acknowledged,
      delivered: s.delivered,
      lost: s.lost,
      duplicates: s.duplicates,
      faults: s.faults,
      held: s.problems.length === 0 ? 'yes' : 'NO',
    })),
    {
      scenario: '**total**',
      sent: sum((s) => s.sent),
      acknowledged: sum((s) => s.acknowledged),
      delivered: sum((s) => s.delivered),
      lost: sum((s) => s.lost),
      duplicates: sum((s) => s.duplicates),
      faults: sum((s) => s.faults),
      held: results.every((s) => s.problems.length === 0) ? 'yes' : 'NO',
    },
  ]);
  const detailLines = results.flatMap((s) => [`- **${s.scenario}**: ${Object.entries(s.details).map(([k, v]) => `${k} ${v}`).join('; ')}`]);
  const fuzzTable = table(fuzz.map((f) => ({ target: f.target, dialect: f.dialect, cases: f.cases, refused: f.refused, failures: f.failures.length })));
  const fuzzCases = fuzz.reduce((n, f) => n + f.cases, 0);
  const fuzzFailures = fuzz.reduce((n, f) => n + f.failures.length, 0);
  const problems = results.flatMap((s) => s.problems.map((p) => `${s.scenario}: ${p}`));

  const report = [
    `Run ${startedAt.toISOString()} on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, MariaDB via ${process.env.MYSQL_TEST_URL ?? 'mysql://root@127.0.0.1:3306'}.`,
    '',
    scenarioTable,
    '',
    ...detailLines,
    '',
    fuzz.length ? fuzzTable : '(fuzz not run)',
    '',
    `Messages sent ${sum((s) => s.sent)}, acknowledged ${sum((s) => s.acknowledged)}, delivered ${sum((s) => s.delivered)}, lost ${sum((s) => s.lost)}, duplicates ${sum((s) => s.duplicates)}; faults injected ${sum((s) => s.faults)}; fuzz cases ${fuzzCases}, failures ${fuzzFailures}; unhandled rejections ${unhandled}.`,
    ...(problems.length ? ['', 'Problems:', ...problems.map((p) => `- ${p}`)] : []),
  ].join('\n');

  console.log(`\n${report}\n`);
  for (const f of fuzz) for (const failure of f.failures.slice(0, 5)) console.log(`fuzz ${f.target} (${f.dialect}) #${failure.index} [${failure.status}] ${failure.request.slice(0, 160)} => ${failure.reason.slice(0, 200)}`);

  if (write) {
    const path = join(repoRoot, 'RELIABILITY.md');
    const text = readFileSync(path, 'utf8');
    const begin = '<!-- chaos:begin -->';
    const end = '<!-- chaos:end -->';
    const from = text.indexOf(begin);
    const to = text.indexOf(end);
    if (from < 0 || to < from) throw new Error(`${path} has no ${begin} ... ${end} section`);
    writeFileSync(path, `${text.slice(0, from + begin.length)}\n${report}\n${text.slice(to)}`);
    console.log(`figures written to ${path}`);
  }

  const lost = sum((s) => s.lost);
  return lost > 0 || fuzzFailures > 0 || problems.length > 0 || unhandled > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
