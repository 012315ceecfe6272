import { Tracer } from '@aws-lambda-powertools/tracer';

let tracer: Tracer | undefined;

/**
 * X-Ray subsegments for every AWS call (Powertools Tracer) with `flightplan:tracing: aws-calls`;
 * by default synth aliases the Tracer to `untraced.ts`. A no-op outside Lambda. Created with the first client.
 */
export const traced = <Client>(client: Client): Client =>
  (tracer ??= new Tracer({ serviceName: 'flightplan' })).captureAWSv3Client(client);
