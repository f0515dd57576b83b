/** The ack error codes of SPEC §3/§4: the same codes whatever the namespace. */
export const chatErrorCodes = ['invalid_input', 'not_found', 'rate_limited', 'conversation_closed', 'internal'] as const;
export type ChatErrorCode = (typeof chatErrorCodes)[number];

/**
 * A failure the client is told about: its `code` reaches the ack unchanged, its message is
 * written for the person reading the widget or console logs.
 */
export class ChatError extends Error {
  override readonly name = 'ChatError';

  constructor(
    readonly code: ChatErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The `{ code, message }` of a failed ack. Anything that is not a ChatError is `internal`. */
export function toAckError(err: unknown): { code: ChatErrorCode; message: string } {
  if (err instanceof ChatError) return { code: err.code, message: err.message };
  return { code: 'internal', message: isDatabaseDown(err) ? 'The database is unavailable; try again shortly' : 'Internal error' };
}

function isDatabaseDown(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^Sequelize(Connection\w*|HostNotReachable|AccessDenied|Timeout)Error$/.test(name);
}
