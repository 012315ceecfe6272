/**
 * Stands in for `@smithy/core/event-streams` in the Lambda bundles (an esbuild alias in
 * FUNCTION_BUNDLING). No operation a Flightplan function calls streams events, yet the SDK's
 * protocol code loads event-stream serde with a dynamic import, and esbuild then defers the SDK's
 * core into lazy initializers that V8 parses twice at each cold start. An operation that did
 * stream would fail here, by name, instead of silently shipping the serde again.
 */
const notBundled = (): never => {
  throw new Error(
    'Event streams are not bundled in Flightplan functions (FUNCTION_BUNDLING aliases @smithy/core/event-streams): ' +
      'an operation that streams events needs the alias removed',
  );
};

export const EventStreamSerde = notBundled;
export const eventStreamSerdeProvider = notBundled;
