import { ChildHandle } from './child.js';

export interface ReceiverCounts {
  ok: number;
  fail: number;
  hang: number;
  timed: number;
  other: number;
  /** Distinct X-Webhook-Delivery ids seen, and requests that repeated one. */
  distinct: number;
  duplicates: number;
}

/** Parent-side handle of bench/child/receiver.ts: a webhook receiver on 127.0.0.1 in its own process. */
export class Receiver {
  private constructor(
    private readonly child: ChildHandle,
    readonly port: number,
  ) {}

  static async start(): Promise<Receiver> {
    const child = ChildHandle.start('receiver');
    const port = await child.call<number>('listen');
    return new Receiver(child, port);
  }

  /** http://127.0.0.1:<port>/<route>/<suffix>: route is ok, fail, hang or timed. */
  url(route: 'ok' | 'fail' | 'hang' | 'timed', suffix = ''): string {
    return `http://127.0.0.1:${this.port}/${route}${suffix ? `/${suffix}` : ''}`;
  }

  counts(): Promise<ReceiverCounts> {
    return this.child.call('counts');
  }

  /** [message_id, arrival time in ms of process.hrtime] since the last call. */
  arrivals(): Promise<[number, number][]> {
    return this.child.call('arrivals');
  }

  reset(): Promise<void> {
    return this.child.call('reset');
  }

  /** Refuse connections (the endpoint is down) until `up()`. */
  down(): Promise<void> {
    return this.child.call('down');
  }

  async up(): Promise<void> {
    await this.child.call('listen');
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}
