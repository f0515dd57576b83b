/** One POSIX-shell word: single-quoted, with embedded quotes closed, escaped and reopened. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Headers curl sets itself or that describe the connection, not the request. */
const skipped = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'accept-encoding']);

/**
 * The curl command that repeats a delivery attempt byte for byte: same URL, same headers
 * (signature and timestamp included), same body sent with --data-binary.
 *
 * @example curlCommand('https://x.test/h', { 'Content-Type': 'application/json' }, '{"a":1}')
 * // curl -X POST 'https://x.test/h' \
 * //   -H 'Content-Type: application/json' \
 * //   --data-binary '{"a":1}'
 */
export function curlCommand(url: string, headers: Record<string, string>, body: string): string {
  const lines = [`curl -X POST ${shellQuote(url)}`];
  for (const [name, value] of Object.entries(headers)) {
    if (!skipped.has(name.toLowerCase())) lines.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  }
  lines.push(`--data-binary ${shellQuote(body)}`);
  return lines.join(' \\\n  ');
}
