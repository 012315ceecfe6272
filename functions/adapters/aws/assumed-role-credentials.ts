import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { fromEnv } from '@aws-sdk/credential-provider-env';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';

export type Credentials = ReturnType<typeof fromEnv>;

/** What the health functions name their sessions in a workload account's CloudTrail. */
const SESSION_NAME = 'flightplan-health';

let sharedSts: STSClient | undefined;

/**
 * Credentials of a role in another account, assumed with the function's own through STS: what
 * `fromTemporaryCredentials` (`@aws-sdk/credential-providers`) does, with STS imported here. That
 * provider loads STS with a dynamic import, and esbuild then defers every SDK module STS shares
 * with the function's other clients into lazy initializers, which V8 parses twice at each cold
 * start. The credentials are kept, as an SDK client keeps its own, until five minutes before they
 * expire: the SigV4 signer of a Prometheus query asks for them once per query, and every query of
 * a gate, and every gate a warm function runs, would otherwise be an AssumeRole of its own.
 */
export function assumedRoleCredentials(
  roleArn: string,
  sts: Pick<STSClient, 'send'> = (sharedSts ??= new STSClient({})),
): Credentials {
  const assume: Credentials = async () => {
    const { Credentials: assumed } = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: SESSION_NAME, DurationSeconds: 900 }),
    );
    // Without an expiry the memo below would keep the session past its 15 minutes.
    if (!assumed?.AccessKeyId || !assumed.SecretAccessKey || !assumed.Expiration)
      throw new Error(`STS answered AssumeRole of ${roleArn} without credentials and their expiry`);
    return {
      accessKeyId: assumed.AccessKeyId,
      secretAccessKey: assumed.SecretAccessKey,
      ...(assumed.SessionToken ? { sessionToken: assumed.SessionToken } : {}),
      expiration: assumed.Expiration,
    };
  };
  // The SDK's own memo (it answers undefined for an undefined provider only): one AssumeRole for
  // concurrent callers, none until five minutes before expiry, and a failure is not kept.
  return memoizeIdentityProvider(assume, isIdentityExpired, doesIdentityRequireRefresh) ?? assume;
}
