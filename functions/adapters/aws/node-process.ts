/**
 * Stands in for `node:process` in the Lambda bundles (an esbuild alias in FUNCTION_BUNDLING): the
 * global `process`, which is the same object. Node's ES module wrapper for a built-in reads every
 * property of the module on its first import, and two of `process`'s are costly getters that no
 * function needs: `allowedNodeEnvironmentFlags` builds a set of every flag Node knows, and `stdin`
 * opens standard input. About 1 ms of every cold start (README, "What a function's bundle
 * holds"). The SDK imports `env` and `versions` by name; a bundled package that imports a name
 * this module does not export fails the build.
 */
export const { env, versions } = process;

export default process;
