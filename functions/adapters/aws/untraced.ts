/**
 * Takes the place of `@aws-lambda-powertools/tracer` in the bundles when `flightplan:tracing` is
 * `invocations` (an esbuild alias, infra/aws/control-plane-stack.ts): Lambda's active tracing
 * still records every invocation, and no AWS call gets a subsegment of its own.
 */
export class Tracer {
  captureAWSv3Client<Client>(client: Client): Client {
    return client;
  }
}
