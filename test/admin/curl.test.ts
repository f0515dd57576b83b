import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { curlCommand, shellQuote } from '../../src/webhooks/admin/client/curl.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const run = promisify(execFile);

describe('Copy as curl', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('quotes shell words, including single quotes', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it('repeats the request byte for byte when run by a real shell', async () => {
    // Quotes, $variables, backticks, newlines and non-ASCII must all survive the shell untouched.
    const body = JSON.stringify({ event: 'message.received', data: { content: "it's $HOME `id` \\n <img src=x onerror=alert(1)>\nline 2 ✓" } });
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': 'livechat-webhooks/0.1.0',
      'X-Webhook-Signature': 'abc123',
      'X-Webhook-Event': 'message.received',
      'Content-Length': '999',
      Host: 'ignored.example',
    };
    const command = curlCommand(receiver.url, headers, body);
    expect(command).not.toMatch(/Content-Length|Host:/);
    await run('sh', ['-c', command.replace(/^curl /, 'curl -s -o /dev/null ')]);
    const [request] = await receiver.waitFor(1);
    expect(request!.method).toBe('POST');
    expect(request!.text()).toBe(body);
    expect(request!.headers['x-webhook-signature']).toBe('abc123');
    expect(request!.headers['user-agent']).toBe('livechat-webhooks/0.1.0');
    expect(request!.headers['content-type']).toBe('application/json');
  });
});
