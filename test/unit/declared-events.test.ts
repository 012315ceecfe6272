import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from '../../functions/zod.js';
import { deploymentRequested, portalDeploymentRequested } from '../../events/deployment-requested.js';
import type { BusEntry } from '../../events/envelope.js';
import { provisioningRequested } from '../../events/self-service-requested.js';
import { UndeclaredEventError } from '../../functions/adapters/declared-event-publisher.js';
import { workflowTask } from '../../functions/declaration.js';
import type { EventPublisher } from '../../functions/ports/index.js';

class RecordingBus implements EventPublisher {
  readonly published: BusEntry[] = [];
  publish(entries: BusEntry[]): Promise<void> {
    this.published.push(...entries);
    return Promise.resolve();
  }
}

/** A task that publishes whatever entries its input names, declared to publish portal events only. */
function portalPublisher() {
  return workflowTask({
    description: 'publishes what it is told',
    ports: ['bus'],
    use: { publishes: [portalDeploymentRequested, provisioningRequested] },
    input: z.object({ entries: z.array(z.custom<BusEntry>()) }),
    useCase: async (deps: { bus: EventPublisher }, input: { entries: BusEntry[] }) => {
      await deps.bus.publish(input.entries);
      return 'published';
    },
  });
}

const entry = (source: string, detailType: string): BusEntry => ({ source, detailType, detail: {} });
const context = { functionName: 'test', awsRequestId: 'req-1' } as Context;

describe('declared events', () => {
  it('lets a function publish the event types its declaration lists', async () => {
    const bus = new RecordingBus();
    const handler = portalPublisher().createHandler({ bus });
    await handler(
      {
        entries: [
          entry('flightplan.portal', 'Deployment Requested'),
          entry('flightplan.portal', 'Provisioning Requested'),
        ],
      },
      context,
    );
    expect(bus.published.map((published) => published.detailType)).toEqual([
      'Deployment Requested',
      'Provisioning Requested',
    ]);
  });

  it.each([
    ['another source for a declared detail-type', deploymentRequested.source, deploymentRequested.detailType],
    ['a declared source with another detail-type', 'flightplan.portal', 'Deployment Changed'],
    ['neither', 'flightplan.github', 'Catalog File Changed'],
  ])('refuses %s before publishing anything of the batch', async (_case, source, detailType) => {
    const bus = new RecordingBus();
    const handler = portalPublisher().createHandler({ bus });
    await expect(
      handler({ entries: [entry('flightplan.portal', 'Provisioning Requested'), entry(source, detailType)] }, context),
    ).rejects.toThrow(UndeclaredEventError);
    expect(bus.published).toEqual([]);
  });
});
