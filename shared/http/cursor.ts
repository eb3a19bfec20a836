/**
 * List cursors carry only the last name; the account comes from the request, so a cursor
 * cannot reach another account.
 */
export function encodeCursor(lastName: string): string {
  return Buffer.from(JSON.stringify({ after: lastName }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as { after?: unknown }).after === 'string') {
      return (value as { after: string }).after;
    }
  } catch {
    // fall through: not a cursor of ours
  }
  return undefined;
}

/** The position a `nextToken` names, or undefined (with an error pushed) when it is not one of ours. */
export function afterCursor(
  nextToken: string | undefined,
  errors: { field: string; message: string }[],
): string | undefined {
  if (nextToken === undefined) return undefined;
  const after = decodeCursor(nextToken);
  if (after === undefined) errors.push({ field: 'nextToken', message: 'is not a valid cursor' });
  return after;
}
