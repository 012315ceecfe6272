import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ENV, requireEnv } from '../../../config.js';
import { EventBridgePublisher } from '../eventbridge-publisher.js';
import { traced } from './tracer.js';

export const bus = () => new EventBridgePublisher(traced(new EventBridgeClient({})), requireEnv(ENV.busName));
