import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  GetSecretValue$,
  type GetSecretValueCommandInput,
  type GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { LOCAL_DEFAULTS } from '../../../functions/config.js';
import { AwsServiceError, operation, serveAwsJson, type AwsCallAuthorizer } from './aws-json-rpc.js';
import type { RunningService } from './http.js';

/** One secret the twin holds: its ARN (what `Ref` resolves to), its name and its value. */
export interface SeededSecret {
  arn: string;
  name: string;
  value: string;
}

export interface SecretsManagerOptions {
  secrets: SeededSecret[];
  authorize?: AwsCallAuthorizer;
  onError?: (error: unknown) => void;
  port?: number;
}

export interface RunningSecretsManager extends RunningService {
  /** The value of a secret by ARN or name, for the services that must agree with it (Slack's bot token, GitHub's App key). */
  valueOf(secretId: string): string;
  /** Every secret held, for `GET /twin/endpoints`-style introspection. */
  list(): SeededSecret[];
}

/** A PKCS#1 PEM, as GitHub hands out App private keys. */
export function generateGithubAppPrivateKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();
}

/**
 * The local value of each secret the control-plane stack declares, by the construct id that
 * starts its logical id (CDK appends a hash). The GitHub App key is generated per twin.
 */
export function localSecretValues(githubAppPrivateKey: string): Record<string, string> {
  return {
    GithubWebhookSecret: LOCAL_DEFAULTS.githubWebhookSecret,
    ArgocdToken: LOCAL_DEFAULTS.argocdToken,
    SlackSigningSecret: LOCAL_DEFAULTS.slackSigningSecret,
    SlackBotToken: 'xoxb-local',
    CursorKey: LOCAL_DEFAULTS.cursorKey,
    GithubAppPrivateKey: githubAppPrivateKey,
  };
}

/**
 * The ARN Secrets Manager would give a secret CDK created with no name: the logical id as name
 * and a six-character suffix. Deterministic, so the twin's `Ref` resolution agrees with it.
 */
export function localSecretArn(logicalId: string, where: { region: string; account: string }): string {
  const suffix = createHash('sha256').update(logicalId).digest('base64url').replace(/[-_]/gu, 'x').slice(0, 6);
  return `arn:aws:secretsmanager:${where.region}:${where.account}:secret:${logicalId}-${suffix}`;
}

interface TemplateLike {
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }>;
}

/**
 * Every `AWS::SecretsManager::Secret` in a synthesized template, with its local value. A secret
 * the twin has no value for fails here, by logical id, rather than as an empty secret at run time.
 */
export function secretsFromTemplate(
  template: TemplateLike,
  options: { values: Record<string, string>; arnOf?: (logicalId: string) => string; region?: string; account?: string },
): SeededSecret[] {
  const where = { region: options.region ?? 'us-east-1', account: options.account ?? '123456789012' };
  const arnOf = options.arnOf ?? ((logicalId: string) => localSecretArn(logicalId, where));
  return Object.entries(template.Resources ?? {})
    .filter(([, resource]) => resource.Type === 'AWS::SecretsManager::Secret')
    .map(([logicalId, resource]) => {
      const key = Object.keys(options.values).find((prefix) => logicalId.startsWith(prefix));
      if (key === undefined)
        throw new Error(`The twin has no local value for the secret ${logicalId}; add one to localSecretValues()`);
      const arn = arnOf(logicalId);
      const declaredName = resource.Properties?.['Name'];
      const name =
        typeof declaredName === 'string'
          ? declaredName
          : (arn.split(':secret:')[1] ?? logicalId).replace(/-[A-Za-z0-9]{6}$/u, '');
      return { arn, name, value: options.values[key] ?? '' };
    });
}

/**
 * Secrets Manager (AWS JSON 1.1): `GetSecretValue` by ARN, partial ARN or name, which is all the
 * functions call (through Powertools parameters). Values never change while the twin runs.
 */
export async function startSecretsManager(options: SecretsManagerOptions): Promise<RunningSecretsManager> {
  const secrets = [...options.secrets];
  const find = (secretId: string): SeededSecret | undefined =>
    secrets.find(
      (secret) =>
        secret.arn === secretId || secret.name === secretId || secret.arn.replace(/-[A-Za-z0-9]{6}$/u, '') === secretId,
    );
  const createdAt = new Date();
  const running = await serveAwsJson({
    iamPrefix: 'secretsmanager',
    targetPrefix: 'secretsmanager',
    operations: {
      GetSecretValue: operation<GetSecretValueCommandInput, Omit<GetSecretValueCommandOutput, '$metadata'>>({
        schema: GetSecretValue$,
        // IAM evaluates the secret's full ARN, whichever form the caller named it by.
        resources: (input) => [find(input.SecretId ?? '')?.arn ?? input.SecretId ?? '*'],
        handle: (input) => {
          const secret = find(input.SecretId ?? '');
          if (!secret)
            throw new AwsServiceError(
              'ResourceNotFoundException',
              "Secrets Manager can't find the specified secret.",
              400,
              'ResourceNotFoundException',
            );
          if (input.VersionStage !== undefined && input.VersionStage !== 'AWSCURRENT') {
            throw new AwsServiceError(
              'ResourceNotFoundException',
              `Secrets Manager can't find the specified secret value for staging label: ${input.VersionStage}`,
              400,
              'ResourceNotFoundException',
            );
          }
          return {
            ARN: secret.arn,
            Name: secret.name,
            VersionId: versionIdOf(secret),
            SecretString: secret.value,
            VersionStages: ['AWSCURRENT'],
            CreatedDate: createdAt,
          };
        },
      }),
    },
    ...(options.authorize ? { authorize: options.authorize } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.port === undefined ? {} : { port: options.port }),
  });
  return {
    ...running,
    valueOf: (secretId) => {
      const secret = find(secretId);
      if (!secret) throw new Error(`The twin holds no secret ${secretId}`);
      return secret.value;
    },
    list: () => [...secrets],
  };
}

const versionIdOf = (secret: SeededSecret): string => {
  const hex = createHash('sha256').update(`${secret.arn}\n${secret.value}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};
