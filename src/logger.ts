import { isatty } from 'node:tty';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** `auto`: readable lines when stdout is a terminal (outside NODE_ENV=production), JSON lines otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** Whether to print readable lines rather than JSON: a pure decision, so it is tested without a terminal. */
export function wantsPrettyLogs(format: LogFormat, stdoutIsTty: boolean, nodeEnv: string | undefined): boolean {
  if (format !== 'auto') return format === 'pretty';
  return stdoutIsTty && nodeEnv !== 'production';
}

/** The format `auto` stands for here: readable on this process's terminal, JSON elsewhere. */
export function resolveLogFormat(format: LogFormat): 'json' | 'pretty' {
  // fd 1, not process.stdout: a worker thread's process.stdout is a pipe to the main thread even on a terminal.
  return wantsPrettyLogs(format, isatty(1), process.env.NODE_ENV) ? 'pretty' : 'json';
}

/**
 * The server's logger: JSON lines on stdout for machines; on a terminal, one readable line per
 * entry. The level comes from LOG_LEVEL, the format from LOG_FORMAT.
 */
export function createLogger(level: string, name = 'livechat', format: LogFormat = 'auto'): Logger {
  const options = { name, level, redact: ['secret', '*.secret', 'headers.authorization', 'apiKey'] };
  if (resolveLogFormat(format) === 'json') return pino(options);
  // In-process and synchronous, so log lines and console output (the API key, the URLs) keep their order.
  return pino(options, pretty({ sync: true, destination: 1, colorize: isatty(1), singleLine: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
}
