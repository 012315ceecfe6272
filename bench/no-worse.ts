/**
 * How much slower than the baseline a p99 may be and still count as no worse (issue 17: "nothing
 * else gets slower"). autocannon reports latency in whole milliseconds, and the GitHub p99 at
 * concurrency 10 is a few milliseconds, so one millisecond is the resolution, not a regression:
 * 4 ms against 3 ms can be quantisation. At concurrency 50 the p99 is tens to hundreds of milliseconds, and 10%
 * leaves room for the drift between two 4 s rows measured one after the other on a shared 2-core
 * machine; the slowdown issue 17 guards against (a Slack click doing its work before it answers)
 * is a multiple, not 10%.
 */
export const P99_TOLERANCE = { factor: 1.1, ms: 1 } as const;

/** The largest p99 that is still no worse than `baselineMs`. */
export const allowedP99Ms = (baselineMs: number): number => baselineMs * P99_TOLERANCE.factor + P99_TOLERANCE.ms;

/** `nowMs` is no worse than `baselineMs`, within P99_TOLERANCE; a missing measurement (NaN) never is. */
export const noWorse = (nowMs: number, baselineMs: number): boolean => nowMs <= allowedP99Ms(baselineMs);
