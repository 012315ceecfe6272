import { describe, expect, it } from 'vitest';
import { LocalBus } from '../../infra/local/local-bus.js';

describe('LocalBus', () => {
  it('runs at most a target its concurrency of deliveries at once, and delivers every event', async () => {
    const bus = new LocalBus({ retryDelayMs: 1 });
    let running = 0;
    let most = 0;
    const delivered: unknown[] = [];
    bus.setRules([
      {
        name: 'Counted',
        pattern: { source: ['test'] },
        concurrency: { key: 'counter', limit: 2 },
        target: async (event) => {
          running += 1;
          most = Math.max(most, running);
          await new Promise((resolve) => setImmediate(resolve));
          running -= 1;
          delivered.push(event.detail['n']);
        },
      },
    ]);
    await bus.publish(Array.from({ length: 20 }, (_, n) => ({ source: 'test', detailType: 'Tick', detail: { n } })));
    await bus.idle();
    expect(most).toBe(2);
    expect(delivered).toHaveLength(20);
  });
});
