import { Semaphore } from '../../../src/webhooks/delivery/semaphore.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Semaphore', () => {
  it('runs at most `size` tasks at once, in arrival order, and frees a turn when a task fails', async () => {
    const gate = new Semaphore(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const finish: (() => void)[] = [];
    const tasks = Array.from({ length: 6 }, (_, i) =>
      gate.run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => finish.push(resolve));
        running--;
        if (i === 0) throw new Error('boom');
        return i;
      }),
    );
    const settled = Promise.allSettled(tasks);
    await tick();
    expect(started).toEqual([0, 1]);
    expect(gate.queued).toBe(4);
    while (finish.length > 0 || started.length < 6) {
      finish.shift()?.();
      await tick();
    }
    const results = await settled;
    expect(results[0]).toMatchObject({ status: 'rejected' });
    expect(results.slice(1).map((r) => (r.status === 'fulfilled' ? r.value : null))).toEqual([1, 2, 3, 4, 5]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(gate.queued).toBe(0);
  });
});

describe('Semaphore, first in line', () => {
  it('lets a task queued `first` go ahead of those already waiting, in their own order', async () => {
    const gate = new Semaphore(1);
    const order: string[] = [];
    let release!: () => void;
    const holder = gate.run(() => new Promise<void>((resolve) => (release = resolve)));
    const tasks = [
      gate.run(async () => void order.push('a')),
      gate.run(async () => void order.push('b')),
      gate.run(async () => void order.push('urgent 1'), { first: true }),
      gate.run(async () => void order.push('urgent 2'), { first: true }),
    ];
    await tick();
    release();
    await Promise.all([holder, ...tasks]);
    expect(order).toEqual(['urgent 1', 'urgent 2', 'a', 'b']);
    expect(gate.queued).toBe(0);
  });
});
