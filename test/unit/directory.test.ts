import { describe, expect, it } from '@jest/globals';
import {
  checkDirectory,
  type Directory,
  DirectoryError,
  mergeDirectories,
  tokenManagers,
} from '../../shared/directory/directory.js';
import { parseDirectory } from '../../shared/directory/directory-schema.js';

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DirectoryError);
    return (error as DirectoryError).problems;
  }
  throw new Error('expected a DirectoryError');
}

const base = {
  domains: [
    { id: 'finance', authorization: 'ROLE_V1' },
    { id: 'marketing', authorization: 'BUNDLE_V2' },
  ],
  users: [
    { id: 'alice', type: 'USER', domains: ['finance'], groups: ['data-eng'] },
    { id: 'sa-etl', type: 'SERVICE_ACCOUNT', domains: ['finance'], groups: ['data-eng'] },
    { id: 'root', type: 'USER', adminRoles: ['ADMIN'], groups: ['platform'] },
  ],
  roles: [
    { domain: 'finance', name: 'token-managers', permissions: ['access_token.manage'], users: ['alice'], groups: [] },
  ],
  bundles: [{ domain: 'marketing', permissions: ['MANAGE_ACCESS_TOKEN'], users: [], groups: ['mkt-admins'] }],
};

describe('directory file', () => {
  it('accepts the example of the design, optional lists defaulting to empty', () => {
    const directory = parseDirectory(base);
    checkDirectory(directory);
    expect(directory.users[2]).toStrictEqual({
      id: 'root',
      type: 'USER',
      domains: [],
      groups: ['platform'],
      adminRoles: ['ADMIN'],
    });
  });

  it('names unknown fields with the path of their entry', () => {
    const problems = problemsOf(() =>
      parseDirectory({ ...base, users: [...base.users, { id: 'x', type: 'USER', team: 'a' }], extra: 1 }),
    );
    // problems.join('\n')
    expect(problems.some((p) => p.startsWith('users[3]') && p.includes('"team"'))).toBeTruthy();
    // problems.join('\n')
    expect(problems.some((p) => p.startsWith('(top level)') && p.includes('"extra"'))).toBeTruthy();
  });

  it('names wrong types and values', () => {
    const problems = problemsOf(() =>
      parseDirectory({ domains: [{ id: 'd', authorization: 'ROLE_V3' }], users: [{ id: 'a/b', type: 'ROBOT' }] }),
    );
    expect(problems.some((p) => p.startsWith('domains[0].authorization'))).toBeTruthy();
    expect(problems.some((p) => p.startsWith('users[0].id'))).toBeTruthy();
    expect(problems.some((p) => p.startsWith('users[0].type'))).toBeTruthy();
  });

  it('rejects duplicate ids, naming both places', () => {
    const directory = parseDirectory({
      ...base,
      users: [...base.users, { id: 'alice', type: 'USER' }],
      roles: [...base.roles, { ...base.roles[0] }],
    });
    const problems = problemsOf(() => checkDirectory(directory));
    // problems.join('\n')
    expect(problems.includes('users[3]: duplicate user id (first at users[0])')).toBeTruthy();
    // problems.join('\n')
    expect(problems.some((p) => p.startsWith('roles[1]: duplicate role'))).toBeTruthy();
  });

  it('rejects dangling references to domains and users', () => {
    const directory = parseDirectory({
      ...base,
      users: [{ id: 'bob', type: 'USER', domains: ['sales'] }],
      roles: [{ domain: 'hr', name: 'r', permissions: [], users: ['ghost'] }],
      bundles: [],
    });
    const problems = problemsOf(() => checkDirectory(directory));
    expect(problems.sort()).toStrictEqual([
      'roles[0].domain: unknown domain "hr"',
      'roles[0].users[0]: unknown user "ghost"',
      'users[0].domains[0]: unknown domain "sales"',
    ]);
  });

  it('resolves references against ids already stored (an upsert)', () => {
    const directory = parseDirectory({ roles: [{ domain: 'finance', name: 'r', permissions: [], users: ['alice'] }] });
    expect(() => checkDirectory(directory)).toThrow(DirectoryError);
    checkDirectory(directory, { domains: ['finance'], users: ['alice'] });
  });

  it('upserts by id: same ids replaced, others kept', () => {
    const stored = parseDirectory(base);
    const update = parseDirectory({
      users: [
        { id: 'alice', type: 'USER', groups: ['new-group'] },
        { id: 'zed', type: 'USER' },
      ],
    });
    const merged = mergeDirectories(stored, update);
    expect(merged.users.map((u) => u.id)).toStrictEqual(['alice', 'sa-etl', 'root', 'zed']);
    expect(merged.users[0]!.groups).toStrictEqual(['new-group']);
    expect(merged.roles.length).toBe(1);
  });

  it('takes a domain’s grants from the file whenever the file mentions the domain: a grant left out is gone', () => {
    const stored = parseDirectory({
      ...base,
      roles: [
        ...base.roles,
        { domain: 'finance', name: 'old-role', permissions: ['access_token.manage'], users: ['root'] },
      ],
      bundles: [{ domain: 'marketing', permissions: ['MANAGE_ACCESS_TOKEN'], users: ['alice', 'root'], groups: [] }],
    });
    // The marketing bundle loses a user; finance is mentioned (declared) with one role left.
    const update = parseDirectory({
      domains: [{ id: 'finance', authorization: 'ROLE_V1' }],
      bundles: [{ domain: 'marketing', permissions: ['MANAGE_ACCESS_TOKEN'], users: ['alice'], groups: [] }],
      roles: [{ domain: 'finance', name: 'token-managers', permissions: ['access_token.manage'], users: ['alice'] }],
    });
    const merged = mergeDirectories(stored, update);
    expect(merged.bundles).toStrictEqual(update.bundles);
    expect(merged.roles.map((r) => r.name)).toStrictEqual(['token-managers']);
    expect(tokenManagers(merged).get('marketing')).toStrictEqual(new Set(['alice']));
  });

  it('keeps the grants of domains the file does not mention, even if its users name them', () => {
    const stored = parseDirectory(base);
    const update = parseDirectory({ users: [{ id: 'zed', type: 'USER', domains: ['finance'] }] });
    expect(mergeDirectories(stored, update).roles).toStrictEqual(stored.roles);
    expect(mergeDirectories(stored, update).bundles).toStrictEqual(stored.bundles);
  });

  it('gives a bundle a stable identity by name, refuses a name twice in a domain, and still reads unnamed bundles', () => {
    const named = parseDirectory({
      ...base,
      bundles: [
        { domain: 'marketing', name: 'token-admins', permissions: ['MANAGE_ACCESS_TOKEN'], groups: ['mkt-admins'] },
      ],
    });
    checkDirectory(named);
    expect(named.bundles[0]!.name).toBe('token-admins');
    const twice = parseDirectory({
      ...base,
      bundles: [
        { domain: 'marketing', name: 'same', permissions: ['MANAGE_ACCESS_TOKEN'] },
        { domain: 'marketing', name: 'same', permissions: ['VIEW_REPORTS'] },
      ],
    });
    expect(problemsOf(() => checkDirectory(twice))).toStrictEqual([
      'bundles[1]: duplicate bundle (same domain, and same name or, unnamed, same content) (first at bundles[0])',
    ]);
    checkDirectory(parseDirectory(base));
  });
});

describe('who may manage tokens', () => {
  const directory: Directory = parseDirectory({
    domains: [
      { id: 'roles', authorization: 'ROLE_V1' },
      { id: 'bundles', authorization: 'BUNDLE_V2' },
    ],
    users: [
      { id: 'direct', type: 'USER', groups: [] },
      { id: 'via-group', type: 'USER', groups: ['g'] },
      { id: 'bundle-user', type: 'USER', groups: [] },
      { id: 'bundle-group', type: 'USER', groups: ['h'] },
      { id: 'wrong-permission', type: 'USER', groups: [] },
      { id: 'wrong-model', type: 'USER', groups: [] },
    ],
    roles: [
      { domain: 'roles', name: 'managers', permissions: ['access_token.manage'], users: ['direct'], groups: ['g'] },
      { domain: 'roles', name: 'readers', permissions: ['MANAGE_ACCESS_TOKEN'], users: ['wrong-permission'] },
      {
        domain: 'bundles',
        name: 'role-in-bundle-domain',
        permissions: ['access_token.manage'],
        users: ['wrong-model'],
      },
    ],
    bundles: [
      { domain: 'bundles', permissions: ['MANAGE_ACCESS_TOKEN'], users: ['bundle-user'], groups: ['h'] },
      { domain: 'roles', permissions: ['MANAGE_ACCESS_TOKEN'], users: ['wrong-model'] },
    ],
  });
  const managers = tokenManagers(directory);

  const cases: [string, string, boolean][] = [
    ['direct', 'roles', true],
    ['via-group', 'roles', true],
    ['wrong-permission', 'roles', false],
    ['wrong-model', 'roles', false],
    ['bundle-user', 'bundles', true],
    ['bundle-group', 'bundles', true],
    ['wrong-model', 'bundles', false],
    ['direct', 'bundles', false],
  ];
  for (const [user, domain, expected] of cases) {
    it(`${user} ${expected ? 'may' : 'may not'} manage tokens in ${domain}`, () => {
      expect(managers.get(domain)?.has(user) ?? false).toBe(expected);
    });
  }
});
