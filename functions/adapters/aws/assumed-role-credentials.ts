import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { fromEnv } from '@aws-sdk/credential-provider-env';

export type Credentials = ReturnType<typeof fromEnv>;

/** What the health functions name their sessions in a workload account's CloudTrail. */
const SESSION_NAME = 'flightplan-health';

let sharedSts: STSClient | undefined;

/**
 * Credentials of a role in another account, assumed with the function's own through STS: what
 * `fromTemporaryCredentials` (`@aws-sdk/credential-providers`) does, with STS imported here. That
 * provider loads STS with a dynamic import, and esbuild then defers every SDK module STS shares
 * with the function's other clients into lazy initializers, which V8 parses twice at each cold
 * start. Each call assumes the role again: an SDK client keeps what it gets until shortly before
 * it expires, and the SigV4 signer of a Prometheus query asks for it once per query.
 */
export function assumedRoleCredentials(
  roleArn: string,
  sts: Pick<STSClient, 'send'> = (sharedSts ??= new STSClient({})),
): Credentials {
  return async () => {
    const { Credentials: assumed } = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: SESSION_NAME, DurationSeconds: 900 }),
    );
    if (!assumed?.AccessKeyId || !assumed.SecretAccessKey)
      throw new Error(`STS answered AssumeRole of ${roleArn} without credentials`);
    return {
      accessKeyId: assumed.AccessKeyId,
      secretAccessKey: assumed.SecretAccessKey,
      ...(assumed.SessionToken ? { sessionToken: assumed.SessionToken } : {}),
      ...(assumed.Expiration ? { expiration: assumed.Expiration } : {}),
    };
  };
}
