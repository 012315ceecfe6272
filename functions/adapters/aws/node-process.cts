/**
 * Stands in for `node:process` and `process` in the Lambda bundles (esbuild aliases in
 * FUNCTION_BUNDLING): the global `process`, which is the same object. Node's ES module wrapper for
 * a built-in reads every property of the module on its first import, and two of `process`'s are
 * getters with a cost that no function needs: `allowedNodeEnvironmentFlags` builds a set of every
 * flag Node knows, and `stdin` creates the stream of file descriptor 0 (README, "What a function's
 * bundle holds"). CommonJS, so that a named import, a namespace import and a `require` all get
 * the whole object: esbuild's interop defines each name as a getter that reads it when used.
 */
export = process;
