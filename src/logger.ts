import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; the level comes from LOG_LEVEL. */
export function createLogger(level: string, name = 'livechat'): Logger {
  return pino({ name, level, redact: ['secret', '*.secret', 'headers.authorization', 'apiKey'] });
}
