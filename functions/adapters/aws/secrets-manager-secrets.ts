import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { ENV, requireEnv } from '../../config.js';
import type { SecretName, SecretsProvider } from '../../ports/index.js';

const ARN_VARIABLES: Record<SecretName, string> = {
  githubWebhookSecret: ENV.githubWebhookSecretArn,
  argocdToken: ENV.argocdTokenSecretArn,
  slackSigningSecret: ENV.slackSigningSecretArn,
  slackBotToken: ENV.slackBotTokenSecretArn,
  cursorKey: ENV.cursorKeySecretArn,
};

/** Secrets come from Secrets Manager by ARN, cached by Powertools for five minutes, never from plain env vars. */
export class SecretsManagerSecrets implements SecretsProvider {
  /** The ARN of a secret from its variable; throws MissingConfigurationError naming the variable. */
  arnOf(name: SecretName): string {
    return requireEnv(ARN_VARIABLES[name]);
  }

  async get(name: SecretName): Promise<string> {
    const arn = this.arnOf(name);
    const value = await getSecret(arn, { maxAge: 300 });
    if (typeof value !== 'string' || value === '') throw new Error(`Secret ${arn} is empty or not a string`);
    return value;
  }
}
