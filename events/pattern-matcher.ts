/**
 * EventBridge content filtering, as documented in "Amazon EventBridge event patterns" and
 * "Content filtering in Amazon EventBridge event patterns". The local bus runs every rule
 * through this, so a rule that matches here must match on AWS and the other way round.
 *
 * Semantics implemented:
 * - keys are ANDed, the matchers in a leaf array are ORed, `$or` ORs whole sub-patterns;
 * - a leaf matches an array value in the event when any element matches;
 * - exact strings, numbers (compared numerically), booleans and null;
 * - `prefix`, `suffix` (both also with `equals-ignore-case`), `equals-ignore-case`,
 *   `wildcard` (`*` any run of characters, `\*` a literal star, `\\` a backslash);
 * - `anything-but` with a scalar, a list, `prefix`, `suffix`, `equals-ignore-case` and
 *   `wildcard` (each with a value or a list); like AWS it never matches a missing field;
 * - `numeric` with up to one lower and one upper bound, or `=`;
 * - `exists` (true: a leaf value is present; false: the field is absent);
 * - `cidr` for IPv4 and IPv6.
 */

export class InvalidEventPatternError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidEventPatternError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Returns true when `event` satisfies `pattern`. Throws {@link InvalidEventPatternError} for a malformed pattern. */
export function matchesEventPattern(pattern: object, event: object): boolean {
  if (!isObject(pattern)) throw new InvalidEventPatternError('An event pattern must be a JSON object');
  return matchObject(pattern, event as JsonObject);
}

/** Throws {@link InvalidEventPatternError} when the pattern would be rejected by EventBridge's PutRule. */
export function assertValidEventPattern(pattern: unknown): void {
  if (!isObject(pattern)) throw new InvalidEventPatternError('An event pattern must be a JSON object');
  validateObject(pattern, '');
}

function matchObject(pattern: JsonObject, event: JsonObject | undefined): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') {
      if (!Array.isArray(expected) || expected.length < 2) {
        throw new InvalidEventPatternError('$or needs an array of at least two patterns');
      }
      return expected.some((alternative) => {
        if (!isObject(alternative)) throw new InvalidEventPatternError('$or alternatives must be objects');
        return matchObject(alternative, event);
      });
    }
    const actual = event?.[key];
    if (isObject(expected)) {
      if (isObject(actual)) return matchObject(expected, actual);
      if (Array.isArray(actual)) return actual.some((item) => isObject(item) && matchObject(expected, item));
      return matchObject(expected, undefined);
    }
    if (!Array.isArray(expected)) {
      throw new InvalidEventPatternError(`Pattern value at "${key}" must be an array or an object`);
    }
    return matchLeaf(expected, actual);
  });
}

function matchLeaf(matchers: Json[], actual: Json | undefined): boolean {
  return matchers.some((matcher) => matchOne(matcher, actual));
}

function matchOne(matcher: Json, actual: Json | undefined): boolean {
  if (isObject(matcher)) return matchOperator(matcher, actual);
  if (Array.isArray(matcher)) throw new InvalidEventPatternError('Nested arrays are not allowed in a pattern');
  return someValue(actual, (value) => scalarEquals(matcher, value));
}

/** Applies `test` to a scalar, or to each element of an array value (EventBridge's array rule). */
function someValue(actual: Json | undefined, test: (value: Json) => boolean): boolean {
  if (actual === undefined) return false;
  if (Array.isArray(actual)) return actual.some((item) => !Array.isArray(item) && test(item));
  return test(actual);
}

/** JSON numbers compare by value (5 and 5.0 are the same number), strings, booleans and null by identity. */
function scalarEquals(expected: Json, value: Json): boolean {
  return expected === value;
}

function matchOperator(matcher: JsonObject, actual: Json | undefined): boolean {
  const entries = Object.entries(matcher);
  if (entries.length !== 1) {
    throw new InvalidEventPatternError(`A matcher object has exactly one operator, got ${JSON.stringify(matcher)}`);
  }
  const [operator, operand] = entries[0] as [string, Json];
  switch (operator) {
    case 'exists':
      if (typeof operand !== 'boolean') throw new InvalidEventPatternError('exists takes true or false');
      return operand ? isPresentLeaf(actual) : actual === undefined;
    case 'prefix':
      return someValue(actual, (value) => typeof value === 'string' && affixMatches(operand, value, 'prefix'));
    case 'suffix':
      return someValue(actual, (value) => typeof value === 'string' && affixMatches(operand, value, 'suffix'));
    case 'equals-ignore-case':
      return someValue(
        actual,
        (value) => typeof value === 'string' && equalsIgnoreCase(requireString(operand, operator), value),
      );
    case 'wildcard':
      return someValue(
        actual,
        (value) => typeof value === 'string' && wildcardMatches(requireString(operand, operator), value),
      );
    case 'numeric': {
      const test = compileNumeric(operand);
      return someValue(actual, (value) => typeof value === 'number' && test(value));
    }
    case 'cidr': {
      const inRange = compileCidr(requireString(operand, operator));
      return someValue(actual, (value) => typeof value === 'string' && inRange(value));
    }
    case 'anything-but':
      return matchAnythingBut(operand, actual);
    default:
      throw new InvalidEventPatternError(`Unknown matcher "${operator}"`);
  }
}

function isPresentLeaf(actual: Json | undefined): boolean {
  if (actual === undefined || isObject(actual)) return false;
  if (Array.isArray(actual)) return actual.length > 0;
  return true;
}

function requireString(operand: Json, operator: string): string {
  if (typeof operand !== 'string') throw new InvalidEventPatternError(`${operator} takes a string`);
  return operand;
}

function affixMatches(operand: Json, value: string, side: 'prefix' | 'suffix'): boolean {
  if (isObject(operand)) {
    const folded = operand['equals-ignore-case'];
    if (Object.keys(operand).length !== 1 || typeof folded !== 'string') {
      throw new InvalidEventPatternError(`${side} takes a string or {"equals-ignore-case": string}`);
    }
    const lowerValue = value.toLowerCase();
    const lowerAffix = folded.toLowerCase();
    return side === 'prefix' ? lowerValue.startsWith(lowerAffix) : lowerValue.endsWith(lowerAffix);
  }
  const affix = requireString(operand, side);
  return side === 'prefix' ? value.startsWith(affix) : value.endsWith(affix);
}

function equalsIgnoreCase(expected: string, value: string): boolean {
  return expected.toLowerCase() === value.toLowerCase();
}

const wildcardCache = new Map<string, RegExp>();

function wildcardMatches(pattern: string, value: string): boolean {
  let regex = wildcardCache.get(pattern);
  if (!regex) {
    regex = compileWildcard(pattern);
    wildcardCache.set(pattern, regex);
  }
  return regex.test(value);
}

function compileWildcard(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] as string;
    if (char === '\\') {
      const next = pattern[index + 1];
      if (next !== '*' && next !== '\\') {
        throw new InvalidEventPatternError(`Invalid escape in wildcard "${pattern}": only \\* and \\\\ are allowed`);
      }
      source += escapeRegex(next);
      index += 1;
    } else if (char === '*') {
      if (pattern[index + 1] === '*') throw new InvalidEventPatternError(`Consecutive wildcards in "${pattern}"`);
      source += '[\\s\\S]*';
    } else {
      source += escapeRegex(char);
    }
  }
  return new RegExp(`^${source}$`, 'u');
}

// Only syntax characters may be escaped under the `u` flag; `-` and others are literal outside classes.
const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/gu, '\\$&');

type NumericTest = (value: number) => boolean;

const numericComparators: Record<string, (value: number, bound: number) => boolean> = {
  '=': (value, bound) => value === bound,
  '<': (value, bound) => value < bound,
  '<=': (value, bound) => value <= bound,
  '>': (value, bound) => value > bound,
  '>=': (value, bound) => value >= bound,
};

function compileNumeric(operand: Json): NumericTest {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4) {
    throw new InvalidEventPatternError('numeric takes ["op", number] or ["op", number, "op", number]');
  }
  const checks: NumericTest[] = [];
  let lower = 0;
  let upper = 0;
  for (let index = 0; index < operand.length; index += 2) {
    const operator = operand[index];
    const bound = operand[index + 1];
    const compare = typeof operator === 'string' ? numericComparators[operator] : undefined;
    if (!compare || typeof bound !== 'number' || !Number.isFinite(bound)) {
      throw new InvalidEventPatternError(`Invalid numeric condition ${JSON.stringify(operand)}`);
    }
    if (operator === '=' && operand.length > 2) throw new InvalidEventPatternError('numeric "=" stands alone');
    if (operator === '>' || operator === '>=') lower += 1;
    if (operator === '<' || operator === '<=') upper += 1;
    checks.push((value) => compare(value, bound));
  }
  if (lower > 1 || upper > 1) throw new InvalidEventPatternError('numeric takes at most one lower and one upper bound');
  return (value) => checks.every((check) => check(value));
}

function compileCidr(cidr: string): (ip: string) => boolean {
  const [address, prefixText, ...rest] = cidr.split('/');
  const prefixLength = Number(prefixText);
  const network = address === undefined ? undefined : parseIp(address);
  if (
    rest.length > 0 ||
    !network ||
    !Number.isInteger(prefixLength) ||
    prefixLength < 0 ||
    prefixLength > network.bits
  ) {
    throw new InvalidEventPatternError(`Invalid cidr "${cidr}"`);
  }
  const hostBits = BigInt(network.bits - prefixLength);
  const networkPrefix = network.value >> hostBits;
  return (ip) => {
    const candidate = parseIp(ip);
    return candidate !== undefined && candidate.bits === network.bits && candidate.value >> hostBits === networkPrefix;
  };
}

function parseIp(text: string): { value: bigint; bits: 32 | 128 } | undefined {
  if (text.includes(':')) return parseIpv6(text);
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/u.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return { value, bits: 32 };
}

function parseIpv6(text: string): { value: bigint; bits: 128 } | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/iu.test(group)) return undefined;
    value = (value << 16n) | BigInt(`0x${group}`);
  }
  return { value, bits: 128 };
}

function matchAnythingBut(operand: Json, actual: Json | undefined): boolean {
  if (actual === undefined) return false;
  const excluded = compileExclusion(operand);
  return someValue(actual, (value) => !excluded(value));
}

function compileExclusion(operand: Json): (value: Json) => boolean {
  if (Array.isArray(operand)) {
    if (operand.some((item) => isObject(item) || Array.isArray(item))) {
      throw new InvalidEventPatternError('anything-but lists hold strings or numbers');
    }
    return (value) => operand.some((item) => scalarEquals(item, value));
  }
  if (!isObject(operand)) return (value) => scalarEquals(operand, value);
  const entries = Object.entries(operand);
  if (entries.length !== 1) throw new InvalidEventPatternError('anything-but takes one operator');
  const [operator, inner] = entries[0] as [string, Json];
  const values = Array.isArray(inner) ? inner : [inner];
  const strings = values.map((item) => requireString(item, `anything-but ${operator}`));
  switch (operator) {
    case 'prefix':
      return (value) => typeof value === 'string' && strings.some((prefix) => value.startsWith(prefix));
    case 'suffix':
      return (value) => typeof value === 'string' && strings.some((suffix) => value.endsWith(suffix));
    case 'equals-ignore-case':
      return (value) => typeof value === 'string' && strings.some((text) => equalsIgnoreCase(text, value));
    case 'wildcard':
      return (value) => typeof value === 'string' && strings.some((wildcard) => wildcardMatches(wildcard, value));
    default:
      throw new InvalidEventPatternError(`anything-but does not take "${operator}"`);
  }
}

function validateObject(pattern: JsonObject, path: string): void {
  for (const [key, value] of Object.entries(pattern)) {
    const here = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
        throw new InvalidEventPatternError(`${here} needs an array of at least two patterns`);
      }
      value.forEach((alternative, index) => {
        validateObject(alternative, `${here}[${index}]`);
      });
    } else if (isObject(value)) {
      validateObject(value, here);
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new InvalidEventPatternError(`${here} must not be an empty array`);
      for (const matcher of value) matchOne(matcher, undefined);
      value.filter(isObject).forEach((matcher) => {
        matchOperator(matcher, 'probe');
      });
    } else {
      throw new InvalidEventPatternError(`${here} must be an array or an object`);
    }
  }
}
