/**
 * Single-table key design. Every item has `pk` and `sk`; nothing else is indexed.
 *
 * | item                         | pk                  | sk                  |
 * |------------------------------|---------------------|---------------------|
 * | token (listed, managed)      | `SA#<accountId>`    | `TOKEN#<name>`      |
 * | token count of an account    | `SA#<accountId>`    | `COUNTER`           |
 * | token credential (verified)  | `CRED#<lookupId>`   | `CRED`              |
 * | user profile                 | `USER#<userId>`     | `PROFILE`           |
 * | user's group membership      | `USER#<userId>`     | `GROUP#<group>`     |
 * | user's domain membership     | `USER#<userId>`     | `DOMAIN#<domain>`   |
 * | user may manage tokens in    | `USER#<userId>`     | `MANAGES#<domain>`  |
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
  userPartition: (userId: string) => `USER#${userId}`,
  profile: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),
  userGroup: (userId: string, group: string) => ({ pk: `USER#${userId}`, sk: `GROUP#${group}` }),
  userDomain: (userId: string, domain: string) => ({ pk: `USER#${userId}`, sk: `DOMAIN#${domain}` }),
  userManages: (userId: string, domain: string) => ({ pk: `USER#${userId}`, sk: `MANAGES#${domain}` }),
  domain: (domain: string) => ({ pk: `DOMAIN#${domain}`, sk: 'DOMAIN' }),
  role: (domain: string, name: string) => ({ pk: `DOMAIN#${domain}`, sk: `ROLE#${name}` }),
  bundle: (domain: string, key: string) => ({ pk: `DOMAIN#${domain}`, sk: `BUNDLE#${key}` }),
} as const;

/** Name of the TTL attribute (epoch seconds) on token items. */
export const TTL_ATTRIBUTE = 'expiresAtTtl';
