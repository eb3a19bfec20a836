import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { DynamoDirectoryStore } from '../shared/directory/directory-store.js';
import { createDocumentClient } from '../shared/dynamodb/client.js';
import { DynamoTokenEvents } from '../shared/audit/event-store.js';
import { DynamoCredentialStore } from '../shared/tokens/credential-store.js';
import { DynamoTokenStore } from '../shared/tokens/token-store.js';
import { ids } from '../shared/kernel/ids.js';
import { mintToken } from '../shared/kernel/token-format.js';
import { SERVICE_ORIGIN, tokenEvent } from '../shared/kernel/events.js';
import { DynamoExchangeRecords, DynamoReplayGuard } from '../shared/federation/exchange-store.js';
import { DynamoPolicyStore } from '../shared/federation/policy-store.js';

/**
 * The floor: a plain `node:http` server, no framework and no middleware, that performs
 * exactly the DynamoDB operations of each endpoint (same client, keys and consistency,
 * through the same store classes) and nothing else: no JWT, no checks, no validation.
 * One exception, the exchange's point: its subject token's signature is verified (one
 * ES256 verification with the issuer's key, fetched once), as no exchange can skip it.
 */
export async function startFloor(
  tableName: string,
  dynamodbEndpoint: string,
): Promise<{ port: number; server: Server }> {
  const client = createDocumentClient({ region: 'local', endpoint: dynamodbEndpoint });
  const tokens = new DynamoTokenStore(client, tableName);
  const credentials = new DynamoCredentialStore(client, tableName);
  const directory = new DynamoDirectoryStore(client, tableName);
  const eventDeps = { clock: () => new Date(), ids };
  const events = new DynamoTokenEvents(client, tableName);
  const policies = new DynamoPolicyStore(client, tableName, 400);
  const replay = new DynamoReplayGuard(client, tableName);
  const exchanges = new DynamoExchangeRecords(client, tableName, 400);
  const issuerKeys = new Map<string, Promise<KeyObject>>();
  const issuerKey = (issuer: string) => {
    let key = issuerKeys.get(issuer);
    if (!key) {
      key = fetch(`${issuer}/jwks`)
        .then((reply) => reply.json() as Promise<{ keys: Record<string, unknown>[] }>)
        .then(({ keys }) => createPublicKey({ key: keys[0]!, format: 'jwk' }));
      issuerKeys.set(issuer, key);
    }
    return key;
  };
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://floor');
      const caller = url.searchParams.get('caller') ?? '';
      const account = url.searchParams.get('account') ?? '';
      if (url.pathname === '/whoami') {
        // The authorizer's GetItem, then whoami's directory query.
        const lookupId = String(req.headers['x-api-token'] ?? '').slice(7, 23);
        const credential = await credentials.getCredential(lookupId);
        const principal = await directory.getPrincipal(credential?.serviceAccountId ?? '');
        return json(res, 200, { userId: credential?.serviceAccountId, type: principal?.type });
      }
      if (url.pathname === '/exchange') {
        // The exchange's unavoidable work: the account's policies, the subject token's
        // signature (nothing else of it is checked), its jti used once, the issued token with its event.
        const subject = new URLSearchParams(await bodyOf(req)).get('subject_token') ?? '';
        const [policy] = await policies.list(account);
        const [header, payload, signature] = subject.split('.');
        const signed = Buffer.from(`${header}.${payload}`);
        const key = { key: await issuerKey(policy!.issuer), dsaEncoding: 'ieee-p1363' as const };
        if (!verify('sha256', signed, key, Buffer.from(signature ?? '', 'base64url')))
          return json(res, 401, { error: 'invalid_grant' });
        const { jti } = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { jti: string };
        const now = new Date();
        await replay.claim(policy!.issuer, jti, Math.floor(now.getTime() / 1000) + 3_600, now);
        const minted = mintToken();
        const at = now.toISOString();
        const record = {
          serviceAccountId: account,
          name: `floor-${minted.lookupId}`,
          lookupId: minted.lookupId,
          prefix: minted.prefix,
          status: 'ACTIVE' as const,
          maxRps: null,
          expiresAt: new Date(now.getTime() + 900_000).toISOString(),
          createdAt: at,
          createdBy: 'floor',
          updatedAt: at,
          lastUsedAt: null,
          rotatedAt: null,
          rotatedBy: null,
          previousSecret: null,
          federation: { policyId: policy!.policyId, policyName: policy!.name },
          incarnation: policy!.incarnation,
        };
        await exchanges.issue(
          { record, secretHash: minted.secretHash, removeAfter: null },
          policy!,
          tokenEvent(eventDeps, 'token.exchanged', record, SERVICE_ORIGIN),
        );
        return json(res, 200, { access_token: minted.token, expires_in: 900 });
      }
      // The function's two reads, in parallel. (The authorizer also reads a JWT caller's
      // profile, to refuse a JWT naming a service account, but once per user and container
      // every 30 s: nothing per request.)
      const [, target] = await Promise.all([directory.getPrincipal(caller), directory.getPrincipal(account)]);
      if (url.pathname === '/events') {
        const trail = { incarnation: target?.incarnation, limit: 50 };
        return json(res, 200, await events.list(target?.id ?? account, trail));
      }
      if (url.pathname === '/list') {
        const after = url.searchParams.get('after') ?? undefined;
        return json(res, 200, await tokens.list(target?.id ?? account, 50, after));
      }
      if (url.pathname === '/create') {
        const minted = mintToken();
        const now = new Date().toISOString();
        const record = {
          serviceAccountId: account,
          name: url.searchParams.get('name') ?? '',
          lookupId: minted.lookupId,
          prefix: minted.prefix,
          status: 'ACTIVE' as const,
          maxRps: null,
          expiresAt: null,
          createdAt: now,
          createdBy: caller,
          updatedAt: now,
          lastUsedAt: null,
          rotatedAt: null,
          rotatedBy: null,
          previousSecret: null,
          incarnation: target?.incarnation,
        };
        // With its audit event, in the same transaction, as the service writes it.
        await tokens.create(
          { record, secretHash: minted.secretHash, removeAfter: null },
          1_000_000,
          tokenEvent(eventDeps, 'token.created', record, SERVICE_ORIGIN),
        );
        return json(res, 201, { ...record, token: minted.token });
      }
      if (url.pathname === '/delete') {
        const current = await tokens.get(account, url.searchParams.get('name') ?? '');
        if (current) await tokens.delete(current, tokenEvent(eventDeps, 'token.deleted', current, SERVICE_ORIGIN));
        res.writeHead(204).end();
        return;
      }
      json(res, 404, {});
    } catch (error) {
      json(res, 500, { error: String(error) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, server };
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}
