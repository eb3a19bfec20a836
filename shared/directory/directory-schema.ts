import { en } from 'zod/locales';
import {
  array,
  boolean,
  config,
  enum as oneOf,
  maxLength,
  minLength,
  optional,
  regex,
  strictObject,
  string,
} from 'zod/mini';
import { type Directory, DirectoryError } from './directory.js';

/** The directory file's schema: every entry strict, so unknown fields are refused by name. */

// zod/mini speaks only "Invalid input" unless given a locale. This module runs in the
// import command, never in a Lambda, so the English messages cost no cold start.
config(en());

/** Ids end up in URL paths and table keys: no whitespace, `/`, `#`, `?` or `%`. */
const id = string().check(
  minLength(1, 'must not be empty'),
  maxLength(128, 'must be at most 128 characters'),
  regex(/^[^\s/#?%]+$/, 'must not contain whitespace, "/", "#", "?" or "%"'),
);
const ids = optional(array(id));
const permissions = array(string().check(minLength(1, 'must not be empty')));

const domainSchema = strictObject({
  id,
  authorization: oneOf(['ROLE_V1', 'BUNDLE_V2']),
  requireAllowedCidrs: optional(boolean()),
});
const userSchema = strictObject({
  id,
  type: oneOf(['USER', 'SERVICE_ACCOUNT']),
  domains: ids,
  groups: ids,
  adminRoles: ids,
});
const roleSchema = strictObject({ domain: id, name: id, permissions, users: ids, groups: ids });
const bundleSchema = strictObject({ domain: id, name: optional(id), permissions, users: ids, groups: ids });
const directorySchema = strictObject({
  domains: optional(array(domainSchema)),
  users: optional(array(userSchema)),
  roles: optional(array(roleSchema)),
  bundles: optional(array(bundleSchema)),
});

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
    '',
  );
}

/** Parses a directory document; throws DirectoryError naming every offending entry. */
export function parseDirectory(input: unknown): Directory {
  const parsed = directorySchema.safeParse(input);
  if (!parsed.success) {
    throw new DirectoryError(
      parsed.error.issues.map((issue) => {
        const where = pathText(issue.path) || '(top level)';
        if (issue.code === 'unrecognized_keys') {
          return (
            `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ` +
            `${issue.keys.map((k) => `"${k}"`).join(', ')}`
          );
        }
        return `${where}: ${issue.message}`;
      }),
    );
  }
  const data = parsed.data;
  return {
    domains: (data.domains ?? []).map(({ requireAllowedCidrs, ...domain }) => ({
      ...domain,
      ...(requireAllowedCidrs === true ? { requireAllowedCidrs } : {}),
    })),
    users: (data.users ?? []).map((u) => ({
      id: u.id,
      type: u.type,
      domains: u.domains ?? [],
      groups: u.groups ?? [],
      adminRoles: u.adminRoles ?? [],
    })),
    roles: (data.roles ?? []).map((r) => ({ ...r, users: r.users ?? [], groups: r.groups ?? [] })),
    bundles: (data.bundles ?? []).map(({ name, ...b }) => ({
      ...b,
      ...(name === undefined ? {} : { name }),
      users: b.users ?? [],
      groups: b.groups ?? [],
    })),
  };
}
