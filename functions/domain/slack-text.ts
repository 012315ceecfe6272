/**
 * Slack mrkdwn treats `<…>` as a link or a mention (`<!here>`, `<@U123>`, `<https://x|y>`) and
 * `&` as the start of an entity. Every piece of text a person or another system wrote goes
 * through this before it reaches a message, so it reads as typed and never pings or links.
 */
export const escapeMrkdwn = (text: string): string =>
  text.replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;');

/**
 * The same, for text that must stay on its line: a line break in a vote comment would start a
 * line of its own in the message, reading as another vote or as the approval's status.
 */
export const escapeMrkdwnLine = (text: string): string => escapeMrkdwn(text).replace(/[\r\n\u2028\u2029]+/gu, ' ');

/** A link Flightplan writes, with its label escaped; a relative `href` is made absolute by the Chat adapter. */
export const mrkdwnLink = (href: string, label: string): string => `<${href}|${escapeMrkdwn(label)}>`;

/**
 * Makes Flightplan's own relative links (`</v1/…|label>`) absolute against the portal's URL, in
 * text and in every text of Block Kit blocks. User text is escaped, so only our links match.
 */
export function absoluteLinks<T>(value: T, portalUrl: string): T {
  const base = portalUrl.replace(/\/+$/u, '');
  const resolve = (item: unknown): unknown => {
    if (typeof item === 'string')
      return item.replace(/<(\/[^|>\s]*)\|/gu, (_match, path: string) => `<${base}${path}|`);
    if (Array.isArray(item)) return item.map(resolve);
    if (item !== null && typeof item === 'object')
      return Object.fromEntries(Object.entries(item).map(([key, entry]) => [key, resolve(entry)]));
    return item;
  };
  return resolve(value) as T;
}
