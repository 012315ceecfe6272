import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/errors.js';
import { openCursor, sealCursor, type Listing } from '../../functions/http/sealed-cursors.js';

const SECRET = 'a'.repeat(64);
const services: Listing = { route: 'GET /v1/services', filters: { team: undefined, status: undefined } };
const storeCursor = (name: string) =>
  Buffer.from(JSON.stringify({ pk: `SERVICE#${name}`, sk: '#META', gsi3pk: 'SERVICES', gsi3sk: name })).toString(
    'base64url',
  );

const refused = (open: () => string) => {
  expect(open).toThrow(ValidationError);
  expect(open).toThrow('The cursor is not one this API returned for this list');
};

describe('sealed list cursors', () => {
  it('give back the store cursor they sealed, for the same listing, whatever order its filters come in', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.dictionary(fc.string(), fc.string()), (cursor, filters) => {
        const reordered = Object.fromEntries(Object.entries(filters).reverse());
        const sealed = sealCursor(SECRET, { route: 'GET /v1/deployments', filters }, cursor);
        expect(openCursor(SECRET, { route: 'GET /v1/deployments', filters: reordered }, sealed)).toBe(cursor);
      }),
    );
  });

  it('name nothing of the key they carry: another team service the page read past stays unnamed', () => {
    const sealed = sealCursor(SECRET, services, storeCursor('payments-ledger'));
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toMatch(/payments|SERVICE|gsi3/u);
    // A fresh IV each time: equal keys do not give equal cursors, so two callers cannot compare positions.
    expect(sealCursor(SECRET, services, storeCursor('payments-ledger'))).not.toBe(sealed);
  });

  it('refuse a cursor with any byte changed', () => {
    const sealed = Buffer.from(sealCursor(SECRET, services, storeCursor('orders-api')), 'base64url');
    fc.assert(
      fc.property(fc.nat({ max: sealed.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, flip) => {
        const altered = Buffer.from(sealed);
        altered[index] = (altered[index] ?? 0) ^ flip;
        refused(() => openCursor(SECRET, services, altered.toString('base64url')));
      }),
    );
  });

  it('refuse a cursor sealed for another route, other filters or with another key', () => {
    const sealed = sealCursor(SECRET, services, storeCursor('orders-api'));
    refused(() => openCursor(SECRET, { route: 'GET /v1/provisioning-requests', filters: {} }, sealed));
    refused(() => openCursor(SECRET, { ...services, filters: { status: 'ACTIVE' } }, sealed));
    refused(() => openCursor('b'.repeat(64), services, sealed));
  });

  it('refuse what the store itself would have handed out, and text that is no cursor at all', () => {
    for (const cursor of [storeCursor('orders-api'), 'not-a-cursor', '', 'AAAA', '%%%']) {
      refused(() => openCursor(SECRET, services, cursor));
    }
  });
});
