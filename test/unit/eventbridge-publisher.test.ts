import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { deploymentRequestedSample } from '../../events/deployment-requested.js';
import { EventBridgePublisher, EventPublishFailedError } from '../../functions/adapters/aws/eventbridge-publisher.js';

const eventBridge = mockClient(EventBridgeClient);
const noSleep = () => Promise.resolve();

describe('EventBridgePublisher', () => {
  beforeEach(() => eventBridge.reset());

  it('puts events on the named bus with the detail as JSON', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    await new EventBridgePublisher(new EventBridgeClient({}), 'flightplan', noSleep).publish([
      deploymentRequestedSample,
    ]);
    const entry = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: 'flightplan',
      Source: 'flightplan.github',
      DetailType: 'Deployment Requested',
    });
    expect(JSON.parse(entry?.Detail ?? '{}')).toEqual(deploymentRequestedSample.detail);
  });

  it('re-sends only the entries that failed', async () => {
    const second = {
      ...deploymentRequestedSample,
      detail: { ...deploymentRequestedSample.detail, requestKey: 'second' },
    };
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: '1' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: '2' }] });
    await new EventBridgePublisher(new EventBridgeClient({}), 'flightplan', noSleep).publish([
      deploymentRequestedSample,
      second,
    ]);
    const retried = eventBridge.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries ?? [];
    expect(retried).toHaveLength(1);
    expect(JSON.parse(retried[0]?.Detail ?? '{}')).toMatchObject({ requestKey: 'second' });
  });

  it('gives up with the error codes after repeated partial failures', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }] });
    await expect(
      new EventBridgePublisher(new EventBridgeClient({}), 'flightplan', noSleep).publish([deploymentRequestedSample]),
    ).rejects.toThrow(EventPublishFailedError);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(4);
  });
});
