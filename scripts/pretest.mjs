// Runs before `npm test` and `npm run test:chaos`: the suite needs Chromium, MariaDB, Redis and
// Python's prometheus_client (Prometheus's own client reads the /metrics exposition in a test). Each
// is checked (all at once, well under a second when present); what is missing is brought when this
// machine can (root on Debian: apt-get, start-stop-daemon, redis-server), otherwise named with the
// way to get it, and the run stops before jest prints a hundred confusing failures.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { connect } from 'node:net';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const pythonPath = process.env.PROMETHEUS_PYTHON ?? '/usr/bin/python3';
const mysqlUrl = new URL(process.env.MYSQL_TEST_URL ?? 'mysql://root@127.0.0.1:3306');
const redisUrl = new URL(process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379');
const isRoot = process.getuid?.() === 0;
const isLocal = (url) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (a function resolving to true or an error text) until true or `ms` pass. */
async function waitFor(check, ms) {
  const end = Date.now() + ms;
  let answer = await check();
  while (answer !== true && Date.now() < end) {
    await sleep(500);
    answer = await check();
  }
  return answer;
}

/** apt-get's package lists, read once however many services are brought. */
let aptUpdated = false;
function aptInstall(pkg) {
  aptUpdated ||= sh('apt-get', ['update']);
  return aptUpdated && sh('apt-get', ['install', '-y', pkg], { DEBIAN_FRONTEND: 'noninteractive' });
}

function sh(command, args, env = {}) {
  console.log(`pretest: ${command} ${args.join(' ')}`);
  return spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status === 0;
}

function prometheusClientReady() {
  const run = spawnSync(pythonPath, ['-c', 'import prometheus_client.parser'], { encoding: 'utf8' });
  return run.status === 0 ? true : (run.error?.code ?? (run.stderr.trim().split('\n').pop() || `exit ${run.status}`));
}

function chromiumReady() {
  try {
    accessSync(chromiumPath, constants.X_OK);
    return true;
  } catch {
    return `no executable at ${chromiumPath}`;
  }
}

async function mariadbReady() {
  const { createConnection } = await import('mysql2/promise');
  try {
    const connection = await createConnection({ uri: mysqlUrl.href, connectTimeout: 2000 });
    await connection.query('SELECT 1');
    await connection.end();
    return true;
  } catch (err) {
    return err.code ?? err.message;
  }
}

/** One PING over a raw socket: redis answers `+PONG` (or -NOAUTH/-ERR, which is an answer too). */
function redisReady() {
  return new Promise((resolve) => {
    const socket = connect({ host: redisUrl.hostname.replace(/^\[|\]$/g, ''), port: Number(redisUrl.port || 6379) });
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(2000, () => done('no answer in 2 s'));
    socket.once('error', (err) => done(err.code ?? err.message));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG') ? true : data.toString().trim()));
  });
}

const services = [
  {
    name: `Chromium (${chromiumPath}), for the browser tests`,
    ready: chromiumReady,
    bring: () =>
      !process.env.CHROMIUM_PATH && isRoot && existsSync('/usr/bin/apt-get') &&
      aptInstall('chromium'),
    help: 'install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary',
  },
  {
    name: `Python's prometheus_client (${pythonPath}), for the /metrics test`,
    ready: prometheusClientReady,
    bring: () =>
      !process.env.PROMETHEUS_PYTHON && isRoot && existsSync('/usr/bin/apt-get') &&
      aptInstall('python3-prometheus-client'),
    help: 'install it (Debian/Ubuntu: sudo apt-get install python3-prometheus-client) or set PROMETHEUS_PYTHON to a python3 that can import prometheus_client',
  },
  {
    name: `MariaDB at ${mysqlUrl.host} (user ${mysqlUrl.username || 'root'})`,
    ready: mariadbReady,
    bring: async () =>
      isLocal(mysqlUrl) && isRoot && existsSync('/usr/sbin/mariadbd') &&
      // A mariadbd that runs but does not answer here listens elsewhere or refuses us: starting another cannot help.
      spawnSync('start-stop-daemon', ['--status', '--exec', '/usr/sbin/mariadbd']).status !== 0 &&
      sh('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd']) &&
      (await waitFor(mariadbReady, 60_000)) === true,
    help: 'start MariaDB 10.6+ on 127.0.0.1:3306 with a passwordless root (Debian: sudo apt-get install mariadb-server), or set MYSQL_TEST_URL=mysql://user:pass@host:port',
  },
  {
    name: `Redis at ${redisUrl.host}, for the two-instance tests`,
    ready: redisReady,
    bring: async () =>
      isLocal(redisUrl) && existsSync('/usr/bin/redis-server') &&
      sh('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(redisUrl.port || 6379), '--save', '', '--appendonly', 'no']) &&
      (await waitFor(redisReady, 10_000)) === true,
    help: 'start Redis on 127.0.0.1:6379 (Debian: sudo apt-get install redis-server), or set REDIS_TEST_URL=redis://host:port',
  },
];

const answers = await Promise.all(services.map((s) => s.ready()));
const missing = [];
for (const [i, service] of services.entries()) {
  if (answers[i] === true) continue;
  console.log(`pretest: ${service.name} is not answering (${answers[i]})`);
  if (!(await service.bring()) || (await service.ready()) !== true) missing.push(service);
}
if (missing.length > 0) {
  console.error('\nThe tests need what is missing here:');
  for (const service of missing) console.error(`  - ${service.name}: ${service.help}`);
  console.error('\nTests that need none of these still run with: npm test --ignore-scripts -- <paths>\n');
  process.exit(1);
}
