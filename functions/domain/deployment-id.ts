import { createHash } from 'node:crypto';

const NAME_LIMIT = 80;

/**
 * `{service}-{env}-{version}-{shortid}`: readable in the Step Functions console and deterministic,
 * so the same request always maps to the same execution and a duplicate start is a no-op.
 * Step Functions names allow 80 characters of [A-Za-z0-9-_].
 */
export function deploymentIdFor(request: {
  service: string;
  environment: string;
  version: string;
  requestKey: string;
}): string {
  const shortId = createHash('sha256').update(request.requestKey).digest('hex').slice(0, 8);
  const version = request.version.replace(/[^A-Za-z0-9_-]/gu, '_');
  const head = `${request.service}-${request.environment}-${version}`.slice(0, NAME_LIMIT - shortId.length - 1);
  return `${head}-${shortId}`;
}
