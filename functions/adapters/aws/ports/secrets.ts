import type { SecretName } from '../../../ports/index.js';
import { SecretsManagerSecrets } from '../secrets-manager-secrets.js';

export const secretsManager = new SecretsManagerSecrets();

/** The ARN is checked when the port is built, so a missing variable fails at cold start with its name. */
export const secretNamed = (name: SecretName) => {
  secretsManager.arnOf(name);
  return { value: () => secretsManager.get(name) };
};
