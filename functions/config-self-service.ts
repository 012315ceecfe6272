import { accountsSchema } from './domain/accounts.js';
import type { SelfServiceSettings } from './ports/index.js';
import { ENV, LOCAL_DEFAULTS, listEnv, optionalEnv } from './config.js';

// Apart from config.ts, which every function imports for its variable names, so that only a
// function that opens self-service pull requests builds the accounts schema at its cold start.

/** Where self-service requests land; every value has a local default, and the CDK app sets them all on AWS. */
export function selfServiceSettingsFrom(env: NodeJS.ProcessEnv): SelfServiceSettings {
  const organization = optionalEnv(ENV.githubOrganization, LOCAL_DEFAULTS.githubOrganization, env);
  const rawAccounts = env[ENV.accounts];
  let accounts: SelfServiceSettings['accounts'] = LOCAL_DEFAULTS.accounts;
  if (rawAccounts !== undefined && rawAccounts.trim() !== '') {
    try {
      accounts = accountsSchema.parse(JSON.parse(rawAccounts));
    } catch (error) {
      throw new Error(
        `Environment variable ${ENV.accounts} must be JSON like {"hml": "111111111111", "prod": "222222222222"}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  return {
    organization,
    terraformRepository: optionalEnv(ENV.terraformRepository, `${organization}/terraform-live`, env),
    terraformModuleSource: optionalEnv(
      ENV.terraformModuleSource,
      `git::https://github.com/${organization}/terraform-aws-modules.git`,
      env,
    ),
    terraformApplyWorkflow: optionalEnv(ENV.terraformApplyWorkflow, LOCAL_DEFAULTS.terraformApplyWorkflow, env),
    gitopsRepositoryUrl: `https://github.com/${optionalEnv(ENV.gitopsRepository, LOCAL_DEFAULTS.gitopsRepository, env)}.git`,
    imageRegistry: optionalEnv(ENV.imageRegistry, LOCAL_DEFAULTS.imageRegistry, env),
    accounts,
    snsHttpsDomains: listEnv(ENV.snsHttpsDomains, LOCAL_DEFAULTS.snsHttpsDomains, env),
  };
}
