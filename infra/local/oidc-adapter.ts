import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

/**
 * The local OpenID provider's store: in process, gone on restart (signing in again is
 * all that costs). The same as the library's built-in MemoryAdapter, which prints a
 * "development-only" warning on every start. One store per provider instance.
 */
export function memoryAdapter(): AdapterFactory {
  const rows = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  const uids = new Map<string, string>(); // Session uid -> id
  const grants = new Map<string, Set<string>>(); // grantId -> row keys

  const get = (key: string): AdapterPayload | undefined => {
    const row = rows.get(key);
    if (!row) return undefined;
    if (row.expiresAt <= Date.now()) {
      rows.delete(key);
      return undefined;
    }
    return row.payload;
  };

  return (model: string): Adapter => ({
    async upsert(id, payload, expiresIn) {
      const key = `${model}:${id}`;
      const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
      rows.set(key, { payload, expiresAt });
      if (model === 'Session' && payload.uid) uids.set(payload.uid, id);
      if (payload.grantId) {
        const members = grants.get(payload.grantId) ?? new Set<string>();
        members.add(key);
        grants.set(payload.grantId, members);
      }
      // Lazy sweep so a long-running dev server does not grow without bound.
      if (rows.size > 5000) for (const k of rows.keys()) get(k);
    },
    async find(id) {
      return get(`${model}:${id}`);
    },
    async findByUid(uid) {
      const id = uids.get(uid);
      return id === undefined ? undefined : get(`${model}:${id}`);
    },
    async findByUserCode() {
      return undefined; // device flow is not enabled
    },
    async consume(id) {
      const payload = get(`${model}:${id}`);
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    },
    async destroy(id) {
      const key = `${model}:${id}`;
      const payload = rows.get(key)?.payload;
      rows.delete(key);
      if (payload?.uid) uids.delete(payload.uid);
    },
    async revokeByGrantId(grantId) {
      for (const key of grants.get(grantId) ?? []) rows.delete(key);
      grants.delete(grantId);
    },
  });
}
