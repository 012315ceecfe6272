import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ValidationError } from '../errors.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_INFO = 'flightplan portal list cursor v1';

/**
 * What a cursor continues: the route and its filters. A cursor sealed for one listing does not
 * open for another, whose index would refuse its key as a malformed start key.
 */
export interface Listing {
  route: string;
  filters: Record<string, string | undefined>;
}

const associatedData = ({ route, filters }: Listing): Buffer =>
  Buffer.from(
    JSON.stringify([
      route,
      Object.entries(filters)
        .filter(([, value]) => value !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    ]),
    'utf8',
  );

const keyOf = (secret: string): Buffer => Buffer.from(hkdfSync('sha256', secret, '', KEY_INFO, 32));

/**
 * Seals a store's cursor (the key of the last item read, which may belong to a team the caller
 * cannot see) with AES-256-GCM, so the portal hands out a cursor that names nothing and cannot be
 * altered.
 */
export function sealCursor(secret: string, listing: Listing, cursor: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(listing));
  const sealed = Buffer.concat([cipher.update(cursor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
}

/** The store's cursor inside one that {@link sealCursor} sealed for this listing; a ValidationError for any other. */
export function openCursor(secret: string, listing: Listing, sealed: string): string {
  const bytes = Buffer.from(sealed, 'base64url');
  // Outside the try: a fault of ours is a 500, not the caller's invalid cursor.
  const key = keyOf(secret);
  const aad = associatedData(listing);
  try {
    if (bytes.length <= IV_BYTES + TAG_BYTES) throw new Error('too short to be a sealed cursor');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch (error) {
    throw new ValidationError(
      'The cursor is not one this API returned for this list',
      [{ path: 'cursor', message: 'invalid cursor' }],
      { cause: error },
    );
  }
}
