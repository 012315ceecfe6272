import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newApproval } from '../../functions/domain/approval.js';
import {
  assertMayRead,
  mayRead,
  readScopeFor,
  readersOf,
  readersOfApproval,
} from '../../functions/domain/read-scope.js';
import { ForbiddenError } from '../../functions/errors.js';
import type { Page } from '../../functions/ports/index.js';
import { readablePage } from '../../functions/use-cases/readable-page.js';

describe('read scope', () => {
  it('lets a team read its own records and nobody else’s', () => {
    const storefront = readScopeFor(['storefront']);
    expect(mayRead(storefront, readersOf({ team: 'storefront' }))).toBe(true);
    expect(mayRead(storefront, readersOf({ team: 'payments' }))).toBe(false);
    expect(() => {
      assertMayRead(storefront, 'Deployment d-1', readersOf({ team: 'payments' }));
    }).toThrow(ForbiddenError);
    expect(() => {
      assertMayRead(storefront, 'Deployment d-1', readersOf({ team: 'payments' }));
    }).toThrow('Deployment d-1 belongs to payments: only its team and platform-team may read it');
  });

  it('lets platform-team read everything, and nobody without a team anything', () => {
    expect(mayRead(readScopeFor(['payments', 'platform-team']), ['storefront'])).toBe(true);
    expect(mayRead(readScopeFor([]), ['storefront'])).toBe(false);
  });

  it('lets every team that may vote on an approval read it', () => {
    const approval = newApproval({
      id: 'd-1.approval',
      policy: 'prod-resource',
      team: 'payments',
      requestedBy: 'alice',
      requesters: [],
      subject: { kind: 'provisioning', id: 'p-1', summary: 'orders-api queue', binding: 'sha256:1' },
      now: '2026-12-01T00:00:00.000Z',
    });
    expect(readersOfApproval(approval)).toEqual(expect.arrayContaining(['payments', 'platform-team']));
    expect(mayRead(readScopeFor(['storefront']), readersOfApproval(approval))).toBe(false);
    const borrowed = { ...approval, eligibleTeams: ['payments', 'storefront'] };
    expect(mayRead(readScopeFor(['storefront']), readersOfApproval(borrowed))).toBe(true);
  });
});

describe('readablePage', () => {
  const storeOf =
    (items: number[]) =>
    (page: { limit: number; cursor?: string }): Promise<Page<number>> => {
      const start = page.cursor ? Number(page.cursor) : 0;
      const end = Math.min(items.length, start + page.limit);
      return Promise.resolve({ items: items.slice(start, end), nextCursor: end < items.length ? String(end) : null });
    };

  it('pages through exactly the readable items, in order, none twice, each page at most its limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 1, max: 5 }),
        async (items, limit, modulus) => {
          const readable = (item: number) => item % modulus === 0;
          const seen: number[] = [];
          let cursor: string | undefined;
          for (let pages = 0; pages < 1000; pages += 1) {
            const page = await readablePage(storeOf(items), { limit, ...(cursor ? { cursor } : {}) }, readable);
            expect(page.items.length).toBeLessThanOrEqual(limit);
            seen.push(...page.items);
            if (!page.nextCursor) break;
            cursor = page.nextCursor;
          }
          expect(seen).toEqual(items.filter(readable));
        },
      ),
    );
  });

  it('fills a page from several reads when the caller owns little of what is stored', async () => {
    const items = Array.from({ length: 100 }, (_, index) => index);
    const page = await readablePage(storeOf(items), { limit: 3 }, (item) => item % 3 === 0);
    expect(page).toEqual({ items: [0, 3, 6], nextCursor: '7' });
  });
});
