import { fromEnv } from '@aws-sdk/credential-provider-env';

type FromEnvInit = Parameters<typeof fromEnv>[0];

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild alias in
 * FUNCTION_BUNDLING). Lambda hands a function its role's credentials in the environment, so the
 * rest of the SDK's default chain (INI files, SSO, STS web identity, container and instance
 * metadata, and the STS and SSO clients behind them) is weight that every cold start would load
 * and never use. The twin and the artifact tests give each function its credentials the same way.
 *
 * Imported from its own package, not from `@aws-sdk/credential-providers`: that one loads it with
 * a dynamic import, and esbuild then defers every SDK module it shares into a lazy initializer,
 * which V8 parses twice at each cold start.
 */
export const defaultProvider = (init?: FromEnvInit) => fromEnv(init);
