import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { devAccessToken } from '../../infra/local/dev-token-client.js';
import { readDirectoryFile } from '../../infra/local/directory-file.js';
import { DEFAULT_DIRECTORY_FILE } from '../../infra/local/paths.js';
import { startLocalService } from '../../infra/local/service.js';
import type { RateHolder } from '../../shared/auth/ports.js';
import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { keys } from '../../shared/dynamodb/keys.js';
import type { Admission } from '../../shared/ratelimit/local-rate-limits.js';
import { PublishedUsageKeys } from '../../shared/ratelimit/usage-keys.js';
import { ACCOUNT, type SimulatedService, type SimulationSetting, simulatedWorker, WARMUP_MS } from './control-plane.js';
import { deployTiers, STAGE, workerConfig } from './deployed.js';

const BASE = '/api/v1/domains/finance/auth/service-accounts/sa-etl/tokens';

/**
 * The whole local service over HTTP on DynamoDB Local (`endpoint`, already running): the
 * real endpoints, authorizer and table, with API Gateway's data plane faked (the key the
 * authorizer named, and whether API Gateway honours it).
 */
export const overHttp =
  (endpoint: string) =>
  async ({ creates, sim, fake, rateLimits }: SimulationSetting): Promise<SimulatedService> => {
    const tableName = `cp-${randomUUID()}`;
    const documents = createDocumentClient({ region: 'local', endpoint });
    const published = new PublishedUsageKeys(documents, tableName, () => sim.now);
    let presented: string | undefined;
    const usageKeys = {
      keyFor: (holder: RateHolder, at: Date) => published.keyFor(holder, at),
      // API Gateway's part is faked: the key the authorizer named, and whether API Gateway lets it through.
      admit: async (key: string | undefined): Promise<Admission> => {
        presented = key;
        return key && fake.honours(key, STAGE, sim.date(), WARMUP_MS)
          ? { allowed: true }
          : { allowed: false, reason: 'invalid-key' };
      },
    };
    const local = await startLocalService({
      port: 0,
      host: '127.0.0.1',
      directory: readDirectoryFile(DEFAULT_DIRECTORY_FILE),
      dynamodbEndpoint: endpoint,
      tableName,
      stream: false,
      env: {
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        TOKEN_LIMIT_PER_ACCOUNT: String(creates + 1),
        RATE_LIMITED_MAX: String(creates),
      },
      parts: () => ({ rateLimits, usageKeys, clock: sim.date }),
    });
    const jwt = await devAccessToken(local.issuer, 'alice');
    const { tierPlans } = await deployTiers(fake, documents, tableName);
    return {
      tierPlans,
      worker: simulatedWorker(sim, documents, workerConfig(tableName)),
      async create(name, maxRps) {
        const reply = await fetch(`${local.url}${BASE}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name, maxRps }),
        });
        const { token, code } = (await reply.json()) as { token?: string; code?: string };
        return { status: reply.status, ...(token && { token }), ...(code && { code }) };
      },
      stored: async (name) =>
        (
          await documents.send(
            new GetCommand({ TableName: tableName, Key: keys.token(ACCOUNT, name), ConsistentRead: true }),
          )
        ).Item,
      async call(_name, token) {
        presented = undefined;
        const reply = await fetch(`${local.url}/api/v1/auth/whoami`, { headers: { 'X-API-Token': token } });
        return { status: reply.status, presented };
      },
      async stop() {
        await local.stop();
        documents.destroy();
      },
    };
  };
