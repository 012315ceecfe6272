import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidEventPatternError,
  assertValidEventPattern,
  matchesEventPattern,
} from '../../events/pattern-matcher.js';

/** The EC2 instance state-change event used throughout AWS's "Event patterns" documentation. */
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'terminated',
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.123',
    location: 'eu-west-1',
    flags: ['a', 'b'],
    nested: { deeper: { value: 'x' } },
    empty: '',
    nothing: null,
  },
};

describe('matchesEventPattern', () => {
  it.each([
    ['exact source', { source: ['aws.ec2'] }, true],
    ['exact source, other value', { source: ['aws.s3'] }, false],
    ['OR within a field', { source: ['aws.s3', 'aws.ec2'] }, true],
    ['AND across fields', { source: ['aws.ec2'], 'detail-type': ['Nope'] }, false],
    ['nested field', { detail: { state: ['terminated'] } }, true],
    ['deeply nested field', { detail: { nested: { deeper: { value: ['x'] } } } }, true],
    ['missing field', { detail: { missing: ['x'] } }, false],
    ['number equality', { detail: { 'c-count': [5] } }, true],
    ['number equality, 5.0 equals 5', { detail: { 'c-count': [5.0] } }, true],
    ['string does not equal number', { detail: { 'c-count': ['5'] } }, false],
    ['null matches null', { detail: { nothing: [null] } }, true],
    ['null does not match missing', { detail: { missing: [null] } }, false],
    ['empty string', { detail: { empty: [''] } }, true],
    ['array value: any element', { detail: { flags: ['b', 'z'] } }, true],
    ['array value: no element', { detail: { flags: ['z'] } }, false],
    ['array of resources', { resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] }, true],
    ['prefix', { time: [{ prefix: '2017-12-22' }] }, true],
    ['prefix, no match', { time: [{ prefix: '2018' }] }, false],
    ['prefix ignores numbers', { detail: { 'c-count': [{ prefix: '5' }] } }, false],
    ['prefix equals-ignore-case', { source: [{ prefix: { 'equals-ignore-case': 'AWS.' } }] }, true],
    ['suffix', { detail: { location: [{ suffix: '-1' }] } }, true],
    ['suffix, no match', { detail: { location: [{ suffix: '.png' }] } }, false],
    ['suffix equals-ignore-case', { detail: { location: [{ suffix: { 'equals-ignore-case': 'WEST-1' } }] } }, true],
    ['equals-ignore-case', { detail: { state: [{ 'equals-ignore-case': 'TERMINATED' }] } }, true],
    ['equals-ignore-case, no match', { detail: { state: [{ 'equals-ignore-case': 'RUNNING' }] } }, false],
    ['anything-but scalar', { detail: { state: [{ 'anything-but': 'initializing' }] } }, true],
    ['anything-but scalar, excluded', { detail: { state: [{ 'anything-but': 'terminated' }] } }, false],
    ['anything-but list', { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, true],
    ['anything-but list, excluded', { detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, false],
    ['anything-but numbers', { detail: { 'c-count': [{ 'anything-but': [100, 200] }] } }, true],
    ['anything-but number, excluded', { detail: { 'c-count': [{ 'anything-but': 5 }] } }, false],
    ['anything-but on a missing field never matches', { detail: { missing: [{ 'anything-but': 'x' }] } }, false],
    ['anything-but prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, true],
    ['anything-but prefix, excluded', { detail: { state: [{ 'anything-but': { prefix: 'term' } }] } }, false],
    ['anything-but suffix', { detail: { location: [{ 'anything-but': { suffix: '-2' } }] } }, true],
    ['anything-but suffix, excluded', { detail: { location: [{ 'anything-but': { suffix: '-1' } }] } }, false],
    [
      'anything-but equals-ignore-case',
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'TERMINATED' } }] } },
      false,
    ],
    [
      'anything-but equals-ignore-case list',
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['RUNNING', 'PENDING'] } }] } },
      true,
    ],
    ['anything-but wildcard', { detail: { location: [{ 'anything-but': { wildcard: 'us-*' } }] } }, true],
    ['anything-but wildcard, excluded', { detail: { location: [{ 'anything-but': { wildcard: 'eu-*' } }] } }, false],
    ['numeric range', { detail: { 'x-limit': [{ numeric: ['>', 0, '<=', 301.8] }] } }, true],
    ['numeric range, outside', { detail: { 'x-limit': [{ numeric: ['>', 0, '<', 301.8] }] } }, false],
    ['numeric equals', { detail: { 'd-count': [{ numeric: ['=', 3] }] } }, true],
    ['numeric ignores strings', { detail: { state: [{ numeric: ['>', 0] }] } }, false],
    ['numeric >=', { detail: { 'c-count': [{ numeric: ['>=', 5] }] } }, true],
    ['exists true', { detail: { state: [{ exists: true }] } }, true],
    ['exists true, missing', { detail: { missing: [{ exists: true }] } }, false],
    ['exists false, missing', { detail: { missing: [{ exists: false }] } }, true],
    ['exists false, present', { detail: { state: [{ exists: false }] } }, false],
    ['exists true on an object is not a leaf', { detail: { nested: [{ exists: true }] } }, false],
    ['cidr ipv4', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, true],
    ['cidr ipv4, outside', { detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, false],
    ['cidr /0 matches every ipv4', { detail: { 'source-ip': [{ cidr: '0.0.0.0/0' }] } }, true],
    ['wildcard', { detail: { location: [{ wildcard: 'eu-*-1' }] } }, true],
    ['wildcard, no match', { detail: { location: [{ wildcard: 'us-*' }] } }, false],
    ['wildcard whole value', { 'detail-type': [{ wildcard: '*' }] }, true],
    [
      '$or: one branch matches',
      { detail: { $or: [{ 'c-count': [{ numeric: ['>', 10] }] }, { 'd-count': [{ numeric: ['<', 5] }] }] } },
      true,
    ],
    [
      '$or: no branch matches',
      { detail: { $or: [{ 'c-count': [{ numeric: ['>', 10] }] }, { 'd-count': [{ numeric: ['>', 5] }] }] } },
      false,
    ],
    ['$or at top level', { $or: [{ source: ['aws.s3'] }, { detail: { state: ['terminated'] } }] }, true],
    ['mixed matchers in one field', { detail: { state: ['running', { prefix: 'term' }] } }, true],
    ['empty pattern matches everything', {}, true],
  ])('%s', (_name, pattern, expected) => {
    expect(matchesEventPattern(pattern, ec2Event)).toBe(expected);
  });

  it.each([
    ['ipv6 in range', '2001:db8::/32', '2001:db8:0:1::7', true],
    ['ipv6 outside range', '2001:db8::/32', '2001:db9::1', false],
    ['ipv6 full form', 'fe80::/10', 'fe80:0000:0000:0000:0202:b3ff:fe1e:8329', true],
    ['ipv4 address never matches an ipv6 range', '::/0', '10.0.0.1', false],
    ['not an address', '10.0.0.0/8', 'ten.zero.zero.one', false],
  ])('cidr: %s', (_name, cidr, ip, expected) => {
    expect(matchesEventPattern({ ip: [{ cidr }] }, { ip })).toBe(expected);
  });

  it.each([
    ['escaped star is literal', 'a\\*c', 'a*c', true],
    ['escaped star does not match other characters', 'a\\*c', 'abc', false],
    ['escaped backslash', 'a\\\\b', 'a\\b', true],
    ['several wildcards', 'arn:*:ec2:*:instance/*', 'arn:aws:ec2:us-east-1:instance/i-1', true],
    ['regex characters are literal', 'a.c', 'abc', false],
  ])('wildcard: %s', (_name, wildcard, value, expected) => {
    expect(matchesEventPattern({ value: [{ wildcard }] }, { value })).toBe(expected);
  });

  it.each([
    ['leaf that is not an array', { source: 'aws.ec2' }],
    ['empty leaf array', { source: [] }],
    ['unknown operator', { source: [{ regex: '.*' }] }],
    ['two operators in one matcher', { source: [{ prefix: 'a', suffix: 'b' }] }],
    ['numeric with a bad operator', { n: [{ numeric: ['!=', 1] }] }],
    ['numeric with two lower bounds', { n: [{ numeric: ['>', 1, '>=', 2] }] }],
    ['numeric equals with a range', { n: [{ numeric: ['=', 1, '<', 2] }] }],
    ['cidr prefix too long', { ip: [{ cidr: '10.0.0.0/33' }] }],
    ['bad wildcard escape', { v: [{ wildcard: 'a\\b' }] }],
    ['consecutive wildcards', { v: [{ wildcard: 'a**b' }] }],
    ['$or with one branch', { $or: [{ source: ['a'] }] }],
    ['exists with a string', { v: [{ exists: 'yes' }] }],
    ['anything-but with nested objects', { v: [{ 'anything-but': [{ prefix: 'a' }] }] }],
    ['anything-but with an unknown operator', { v: [{ 'anything-but': { numeric: ['>', 1] } }] }],
  ])('rejects a malformed pattern: %s', (_name, pattern) => {
    expect(() => {
      assertValidEventPattern(pattern);
    }).toThrow(InvalidEventPatternError);
  });

  const scalar = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());

  it('matches any event against a pattern made of its own values', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((key) => key !== '$or'),
          scalar,
          { minKeys: 1 },
        ),
        (event) => {
          const pattern = Object.fromEntries(Object.entries(event).map(([key, value]) => [key, [value]]));
          expect(matchesEventPattern(pattern, event)).toBe(true);
        },
      ),
    );
  });

  it('anything-but is the complement of exact matching on a present field', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string(), { minLength: 1 }), (value, excluded) => {
        const event = { field: value };
        expect(matchesEventPattern({ field: [{ 'anything-but': excluded }] }, event)).toBe(
          !matchesEventPattern({ field: excluded }, event),
        );
      }),
    );
  });

  it('prefix and suffix match exactly the strings that start or end with them', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (value, affix) => {
        expect(matchesEventPattern({ v: [{ prefix: affix }] }, { v: value })).toBe(value.startsWith(affix));
        expect(matchesEventPattern({ v: [{ suffix: affix }] }, { v: value })).toBe(value.endsWith(affix));
      }),
    );
  });

  it('a wildcard without stars is exact matching', () => {
    fc.assert(
      fc.property(
        fc.string().filter((text) => !text.includes('*') && !text.includes('\\')),
        fc.string(),
        (literal, value) => {
          expect(matchesEventPattern({ v: [{ wildcard: literal }] }, { v: value })).toBe(literal === value);
        },
      ),
    );
  });

  it('numeric ranges agree with plain comparison', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), fc.integer(), (value, low, high) => {
        const expected = value > low && value <= high;
        expect(matchesEventPattern({ n: [{ numeric: ['>', low, '<=', high] }] }, { n: value })).toBe(expected);
      }),
    );
  });

  it('$or matches when either alternative matches', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (value, first, second) => {
        const event = { v: value };
        const either = matchesEventPattern({ $or: [{ v: [first] }, { v: [second] }] }, event);
        expect(either).toBe(matchesEventPattern({ v: [first] }, event) || matchesEventPattern({ v: [second] }, event));
      }),
    );
  });
});
