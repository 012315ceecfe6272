/**
 * Stands in for `@smithy/core/event-streams` in the Lambda bundles (an esbuild alias in
 * FUNCTION_BUNDLING). No operation a Flightplan function calls streams events, yet the SDK's
 * protocol code loads event-stream serde with a dynamic import, and esbuild then defers the SDK's
 * core into lazy initializers that V8 parses twice at each cold start. An operation that did
 * stream would fail here, by name, instead of silently shipping the serde again; a client that
 * imports more of the module than the protocol code does fails the build.
 */
const NOT_BUNDLED =
  'Event streams are not bundled in Flightplan functions (FUNCTION_BUNDLING aliases @smithy/core/event-streams): ' +
  'an operation that streams events needs the alias removed';

// A function declaration, not an arrow: the protocol code calls it with `new`.
export function EventStreamSerde(): never {
  throw new Error(NOT_BUNDLED);
}

export function eventStreamSerdeProvider(): never {
  throw new Error(NOT_BUNDLED);
}
