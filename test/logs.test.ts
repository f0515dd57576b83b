// The real server as a child process: what it writes on stdout when that is a pipe, and when told to be readable.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot } from './chaos/support/child-server.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { TEST_API_KEY } from './support/server.js';

/**
 * Starts `src/main.ts` with stdout a pipe (not a terminal), waits for /healthz, then SIGTERM;
 * resolves to everything it wrote on stdout.
 */
async function runServer(env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'livechat-logs-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ADMIN_API_KEY: TEST_API_KEY, LOG_LEVEL: 'info', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited during start-up:\n${stdout}\n${stderr}`);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
      if (res?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`no healthy /healthz in 60 s:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    return stdout;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Top-level keys that occur more than once in one JSON text (JSON.parse would silently keep the last). */
function repeatedKeys(line: string): string[] {
  const entry = JSON.parse(line) as Record<string, unknown>;
  return Object.keys(entry).filter((key) => line.split(`${JSON.stringify(key)}:`).length > 2);
}

describe('server logs', () => {
  let mysql: TestDatabase;
  beforeAll(async () => {
    mysql = await createTestDatabase('mysql');
  });
  afterAll(async () => {
    await mysql?.drop();
  });

  // MariaDB runs the delivery engine in a worker thread, which has a logger of its own.
  it('are JSON lines, each key once, when stdout is not a terminal', async () => {
    const out = await runServer({ DATABASE_URL: mysql.url });
    const lines = out.trimEnd().split('\n');
    const entries = lines.map((line) => {
      expect(line).toMatch(/^\{.*\}$/);
      expect(repeatedKeys(line)).toEqual([]);
      return JSON.parse(line) as Record<string, unknown>;
    });
    const registered = lines.find((line) => line.includes('plugin registered'))!;
    expect(registered.match(/"plugin":/g)).toHaveLength(1);
    expect(JSON.parse(registered)).toMatchObject({ plugin: 'webhooks', version: expect.any(String) });
    const listening = entries.find((e) => typeof e.msg === 'string' && e.msg.startsWith('listening on'));
    expect(listening).toMatchObject({ admin: expect.stringMatching(/\/admin$/), demo: expect.stringMatching(/\/demo$/), healthz: expect.stringMatching(/\/healthz$/) });
    expect(entries.at(-1)).toMatchObject({ msg: 'shutting down', signal: 'SIGTERM' });
  }, 90_000);

  it('are readable lines with LOG_FORMAT=pretty, the URLs to open printed after start-up', async () => {
    const out = await runServer({ LOG_FORMAT: 'pretty' });
    expect(out).not.toMatch(/^\{/m);
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(livechat\): plugin registered \{"plugin":"webhooks","version":"[^"]+"\}$/m);
    expect(out).toMatch(/^\[[\d:.]+\] INFO \(livechat\): listening on http:\/\/localhost:\d+ /m);
    expect(out).toMatch(/^ {2}Admin console {2}http:\/\/localhost:\d+\/admin$/m);
    expect(out).toMatch(/^ {2}Widget demo {4}http:\/\/localhost:\d+\/demo$/m);
    expect(out).toMatch(/^ {2}Health check {3}http:\/\/localhost:\d+\/healthz$/m);
  }, 90_000);
});
