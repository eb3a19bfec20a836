import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { importDeps, importDirectory } from '../../shared/directory/import.js';
import { adminTokens, domainTokens, exampleDirectory, startTestService, type TestService } from '../support/service.js';

/**
 * The directory's read endpoints, as the console's navigation uses them: a domain's
 * members for its members (Settings › Members), every user for admins (Admin › Users),
 * each a paged list and one entry, refused with the token endpoints' problems.
 */
let api: TestService;
beforeAll(async () => {
  api = await startTestService();
});
afterAll(async () => api?.stop());

const MEMBERS = '/api/v1/domains/finance/members';
const USERS = '/api/v1/auth/users';

/** Every page of a listing, following nextToken (with a search, `q`, when given). */
async function walk(path: string, as: string, key: 'members' | 'users', limit: number, q?: string) {
  const seen: { id: string }[] = [];
  let next: string | null = null;
  let pages = 0;
  do {
    const search = q === undefined ? '' : `&q=${encodeURIComponent(q)}`;
    const query: string = `?limit=${limit}${search}${next ? `&nextToken=${encodeURIComponent(next)}` : ''}`;
    const page = await api.call('GET', `${path}${query}`, { as });
    expect(page.status).toBe(200);
    expect(page.body[key].length).toBeLessThanOrEqual(limit);
    seen.push(...page.body[key]);
    next = page.body.nextToken;
    pages += 1;
  } while (next !== null);
  return { seen, pages };
}

describe('a domain’s members', () => {
  it('lists the domain’s users and service accounts by id, with their type and groups, for a member', async () => {
    const reply = await api.call('GET', MEMBERS, { as: 'bob' });
    expect(reply.status).toBe(200);
    expect(reply.body).toStrictEqual({
      members: [
        { id: 'alice', type: 'USER', groups: ['data-eng'] },
        { id: 'bob', type: 'USER', groups: ['data-eng'] },
        { id: 'carol', type: 'USER', groups: ['analytics'] },
        { id: 'sa-etl', type: 'SERVICE_ACCOUNT', groups: ['data-eng'] },
        { id: 'sa-reporting', type: 'SERVICE_ACCOUNT', groups: ['analytics'] },
      ],
      nextToken: null,
    });
  });

  it('pages like the token list: every member once, in order, and no cursor after the last page', async () => {
    const { seen, pages } = await walk(MEMBERS, 'alice', 'members', 2);
    expect(seen.map((member) => member.id)).toStrictEqual(['alice', 'bob', 'carol', 'sa-etl', 'sa-reporting']);
    expect(pages).toBe(3);
    const exact = await walk(MEMBERS, 'alice', 'members', 5);
    expect(exact.pages).toBe(1);
  });

  it('gives one member, and USER_NOT_FOUND for a user who is not one', async () => {
    expect((await api.call('GET', `${MEMBERS}/sa-etl`, { as: 'carol' })).body).toStrictEqual({
      id: 'sa-etl',
      type: 'SERVICE_ACCOUNT',
      groups: ['data-eng'],
    });
    for (const id of ['dave', 'nobody', 'sa-platform']) {
      const reply = await api.call('GET', `${MEMBERS}/${id}`, { as: 'alice' });
      expect({ id, status: reply.status, code: reply.body.code }).toStrictEqual({
        id,
        status: 404,
        code: 'USER_NOT_FOUND',
      });
    }
  });

  it('refuses callers outside the domain, admins included, with 403 FORBIDDEN before reading anything else', async () => {
    for (const [as, path] of [
      ['dave', MEMBERS],
      ['root', MEMBERS],
      ['alice', '/api/v1/domains/marketing/members'],
      ['alice', '/api/v1/domains/nowhere/members'],
      ['dave', `${MEMBERS}/alice`],
    ] as const) {
      const reply = await api.call('GET', path, { as });
      expect({ as, path, status: reply.status, code: reply.body.code }).toStrictEqual({
        as,
        path,
        status: 403,
        code: 'FORBIDDEN',
      });
      // The domain asked for is named, in the same words whether it exists or not.
      const domain = path.split('/')[4];
      expect(reply.body.detail).toBe(
        `Only a domain’s members may see its members: you are not a member of domain "${domain}", ` +
          'or there is no such domain.',
      );
    }
  });

  it('validates the page and the user id, for members only', async () => {
    for (const query of ['?limit=0', '?limit=101', '?limit=x', '?nextToken=not-a-cursor']) {
      const reply = await api.call('GET', `${MEMBERS}${query}`, { as: 'alice' });
      expect({ query, status: reply.status, code: reply.body.code }).toStrictEqual({
        query,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    expect((await api.call('GET', `${MEMBERS}/%E0%A4%A`, { as: 'alice' })).body.errors).toStrictEqual([
      { field: 'userId', message: 'is not valid percent-encoding' },
    ]);
    expect((await api.call('GET', `${MEMBERS}/${'x'.repeat(129)}`, { as: 'alice' })).body.code).toBe(
      'VALIDATION_FAILED',
    );
    expect((await api.call('GET', `${MEMBERS}?limit=0`, { as: 'dave' })).status).toBe(403);
  });
});

describe('the directory’s users', () => {
  it('lists every user with type, groups and domains, for an admin, whatever its groups', async () => {
    const { seen } = await walk(USERS, 'auditor', 'users', 4);
    expect(seen.map((user) => user.id)).toStrictEqual(
      exampleDirectory()
        .users.map((user) => user.id)
        .sort(),
    );
    expect(seen.find((user) => user.id === 'dave')).toStrictEqual({
      id: 'dave',
      type: 'USER',
      groups: ['mkt-admins', 'campaigns'],
      domains: ['marketing'],
    });
    expect(seen.find((user) => user.id === 'sa-platform')).toStrictEqual({
      id: 'sa-platform',
      type: 'SERVICE_ACCOUNT',
      groups: ['platform'],
      domains: [],
    });
  });

  it('gives one user, and USER_NOT_FOUND for an unknown id', async () => {
    expect((await api.call('GET', `${USERS}/sa-etl`, { as: 'root' })).body).toStrictEqual({
      id: 'sa-etl',
      type: 'SERVICE_ACCOUNT',
      groups: ['data-eng'],
      domains: ['finance'],
    });
    const missing = await api.call('GET', `${USERS}/nobody`, { as: 'root' });
    expect({ status: missing.status, code: missing.body.code }).toStrictEqual({ status: 404, code: 'USER_NOT_FOUND' });
  });

  it('refuses callers without an admin role', async () => {
    for (const path of [USERS, `${USERS}/alice`]) {
      const reply = await api.call('GET', path, { as: 'alice' });
      expect({ path, status: reply.status, code: reply.body.code, detail: reply.body.detail }).toStrictEqual({
        path,
        status: 403,
        code: 'FORBIDDEN',
        detail: 'Only admins may see the directory’s users.',
      });
    }
  });
});

describe('finding an account by the start of its id', () => {
  const ids = (reply: { body: Record<string, { id: string }[]> }, key: string) => reply.body[key]!.map((m) => m.id);

  it('lists only the members whose id starts with q, page by page, for a member', async () => {
    const { seen, pages } = await walk(MEMBERS, 'bob', 'members', 1, 'sa-');
    expect(seen.map((member) => member.id)).toStrictEqual(['sa-etl', 'sa-reporting']);
    expect(pages).toBe(2);
    expect(ids(await api.call('GET', `${MEMBERS}?q=ca`, { as: 'bob' }), 'members')).toStrictEqual(['carol']);
    // A prefix, case-sensitive: neither the middle of an id nor another case matches.
    for (const q of ['etl', 'SA-', 'zz']) {
      const reply = await api.call('GET', `${MEMBERS}?q=${q}`, { as: 'bob' });
      expect({ q, body: reply.body }).toStrictEqual({ q, body: { members: [], nextToken: null } });
    }
  });

  it('lists only the users whose id starts with q, page by page, for an admin', async () => {
    const expected = exampleDirectory()
      .users.map((user) => user.id)
      .filter((id) => id.startsWith('sa-'))
      .sort();
    expect(expected.length).toBeGreaterThan(2);
    const { seen, pages } = await walk(USERS, 'root', 'users', 2, 'sa-');
    expect(seen.map((user) => user.id)).toStrictEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 2));
  });

  it('reads a cursor of another search as an id: from the first match before them, nothing after them', async () => {
    const cursor = async (q: string) => (await api.call('GET', `${MEMBERS}?limit=1&q=${q}`, { as: 'bob' })).body;
    const fromAlice = (await api.call('GET', `${MEMBERS}?limit=1`, { as: 'bob' })).body.nextToken;
    const before = await api.call('GET', `${MEMBERS}?q=sa-&nextToken=${encodeURIComponent(fromAlice)}`, { as: 'bob' });
    expect(before.status).toBe(200);
    expect(ids(before, 'members')).toStrictEqual(['sa-etl', 'sa-reporting']);
    const fromEtl = (await cursor('sa-')).nextToken;
    const after = await api.call('GET', `${MEMBERS}?q=b&nextToken=${encodeURIComponent(fromEtl)}`, { as: 'bob' });
    expect({ status: after.status, body: after.body }).toStrictEqual({
      status: 200,
      body: { members: [], nextToken: null },
    });
  });

  it('refuses a q that no id could start with, and is still refused to callers outside the domain', async () => {
    for (const q of ['', 'a%20b', 'a%2Fb', '%23', 'x'.repeat(129)]) {
      for (const path of [MEMBERS, USERS]) {
        const reply = await api.call('GET', `${path}?q=${q}`, { as: path === USERS ? 'root' : 'bob' });
        expect({ q, path, status: reply.status, errors: reply.body.errors }).toStrictEqual({
          q,
          path,
          status: 400,
          errors: [{ field: 'q', message: 'must be 1 to 128 characters without whitespace, /, #, ? or %' }],
        });
      }
    }
    expect((await api.call('GET', `${MEMBERS}?q=sa-`, { as: 'dave' })).status).toBe(403);
    expect((await api.call('GET', `${USERS}?q=sa-`, { as: 'alice' })).status).toBe(403);
  });
});

describe('callers with access tokens', () => {
  it('are judged as their service account: an admin account lists users, a member account its domain', async () => {
    const rotator = await api.call('POST', adminTokens('sa-rotator'), { as: 'root', body: { name: 'listing' } });
    expect(rotator.status).toBe(201);
    expect((await api.call('GET', USERS, { token: rotator.body.token })).status).toBe(200);
    const platform = await api.call('POST', adminTokens('sa-platform'), { as: 'root', body: { name: 'listing' } });
    expect((await api.call('GET', USERS, { token: platform.body.token })).status).toBe(403);
    const etl = await api.call('POST', domainTokens('finance', 'sa-etl'), { as: 'alice', body: { name: 'listing' } });
    expect((await api.call('GET', MEMBERS, { token: etl.body.token })).status).toBe(200);
    expect((await api.call('GET', USERS, { token: etl.body.token })).status).toBe(403);
  });
});

describe('listings follow the directory', () => {
  it('shows an import’s changes: a user moved between domains, regrouped, and a user with groups filling pages past 1 MB', async () => {
    const directory = exampleDirectory();
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) => `group-${String(i).padStart(5, '0')}-${'g'.repeat(20)}`);
    directory.users = directory.users.map((user) =>
      user.id === 'bob' ? { ...user, domains: ['marketing'], groups: ['campaigns'] } : user,
    );
    // Ten members of ~190 KB each: DynamoDB stops each query at 1 MB, and the page goes on.
    directory.users.push(
      ...Array.from({ length: 10 }, (_, i) => ({
        id: `wide-${i}`,
        type: 'USER' as const,
        domains: ['finance'],
        groups: many(6000),
        adminRoles: [],
      })),
    );
    await importDirectory(importDeps(api.service.runtime), directory, { replace: false });

    const finance = await walk(MEMBERS, 'alice', 'members', 50);
    expect(finance.pages).toBe(1);
    expect(finance.seen.map((member) => member.id)).toStrictEqual([
      'alice',
      'carol',
      'sa-etl',
      'sa-reporting',
      ...Array.from({ length: 10 }, (_, i) => `wide-${i}`),
    ]);
    const marketing = await api.call('GET', '/api/v1/domains/marketing/members', { as: 'bob' });
    expect(marketing.body.members.find((member: { id: string }) => member.id === 'bob')).toStrictEqual({
      id: 'bob',
      type: 'USER',
      groups: ['campaigns'],
    });
    expect((await api.call('GET', `${USERS}/bob`, { as: 'root' })).body.domains).toStrictEqual(['marketing']);
  });
});
