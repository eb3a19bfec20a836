/**
 * Single-table key design. Every item has `pk` and `sk`; nothing else is indexed.
 *
 * | item                         | pk                  | sk                  |
 * |------------------------------|---------------------|---------------------|
 * | token (listed, managed)      | `SA#<accountId>`    | `TOKEN#<name>`      |
 * | token count of an account    | `SA#<accountId>`    | `COUNTER`           |
 * | token credential (verified)  | `CRED#<lookupId>`   | `CRED`              |
 * | user (groups, domains, admin roles, where they manage tokens) | `USER#<userId>` | `PROFILE` |
 * | domain                       | `DOMAIN#<domain>`   | `DOMAIN`            |
 * | role of a domain             | `DOMAIN#<domain>`   | `ROLE#<name>`       |
 * | bundle of a domain           | `DOMAIN#<domain>`   | `BUNDLE#<key>`      |
 */
export const keys = {
  token: (accountId: string, name: string) => ({ pk: `SA#${accountId}`, sk: `TOKEN#${name}` }),
  tokenPartition: (accountId: string) => `SA#${accountId}`,
  tokenSortPrefix: 'TOKEN#',
  counter: (accountId: string) => ({ pk: `SA#${accountId}`, sk: 'COUNTER' }),
  credential: (lookupId: string) => ({ pk: `CRED#${lookupId}`, sk: 'CRED' }),
  profile: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),
  domain: (domain: string) => ({ pk: `DOMAIN#${domain}`, sk: 'DOMAIN' }),
  role: (domain: string, name: string) => ({ pk: `DOMAIN#${domain}`, sk: `ROLE#${name}` }),
  bundle: (domain: string, key: string) => ({ pk: `DOMAIN#${domain}`, sk: `BUNDLE#${key}` }),
} as const;

/** Name of the TTL attribute (epoch seconds) on token items. */
export const TTL_ATTRIBUTE = 'expiresAtTtl';
