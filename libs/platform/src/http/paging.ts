import { Problem } from './problem';

/** Opaque keyset cursors: the sort they belong to, the last row's sort value and its id. */
export interface Cursor {
  sort: string;
  value: string;
  at?: string;
  id: string;
}

export const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

/**
 * A time as the cursors carry it: ISO 8601 in UTC, to the millisecond (JavaScript) or microsecond
 * (PostgreSQL's own, where rows can share a millisecond), and a real date (no 31 February).
 */
function isCursorTime(v: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(v) && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString().slice(0, 19) === v.slice(0, 19);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The cursor a client sent back, checked whole here, so that a forged one is a 400 and never a
 * PostgreSQL cast error; and one of another sort is refused, not misread.
 */
export function decodeCursor(raw: string, sort: string, valueIsTime = true): Cursor {
  let c: Partial<Cursor> | undefined;
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString()) as Partial<Cursor>;
  } catch {
    c = undefined;
  }
  const valid =
    c !== null &&
    typeof c === 'object' &&
    typeof c.value === 'string' &&
    typeof c.id === 'string' &&
    UUID.test(c.id) &&
    typeof c.sort === 'string' &&
    (c.at === undefined || (typeof c.at === 'string' && isCursorTime(c.at))) &&
    (!valueIsTime || isCursorTime(c.value));
  if (!valid) {
    throw Problem.unprocessable([{ pointer: '/cursor', detail: 'is not a cursor this API returned' }], 'The cursor cannot be used.');
  }
  if (c!.sort !== sort) {
    throw Problem.unprocessable([{ pointer: '/cursor', detail: `belongs to sort=${c!.sort}, not sort=${sort}; start again without a cursor` }], 'The cursor cannot be used.');
  }
  return c as Cursor;
}

/**
 * A keyset page from rows read with `LIMIT limit + 1`: the first `limit` rows, and a cursor after
 * the last of them when the extra row shows there is more.
 */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => Cursor): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}
