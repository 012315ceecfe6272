/** Seconds and ISO timestamps are the only time units the domain speaks. */
export const MINUTE = 60;
export const HOUR = 60 * MINUTE;

export const addSeconds = (iso: string, seconds: number): string =>
  new Date(Date.parse(iso) + seconds * 1000).toISOString();
