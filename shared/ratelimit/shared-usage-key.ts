import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { KeyRequest, RateLimits } from '../tokens/ports.js';
import type { TokenBinding } from '../kernel/model.js';
import { keys } from '../dynamodb/keys.js';

/**
 * The value of the stack's unthrottled key, which JWT callers and tokens without a limit
 * share. It is written to the table at deploy time (by the `publish-shared-key` custom
 * resource) and read from there at most once per container: nothing on the request
 * path calls API Gateway's control plane, whose few requests a second per account a
 * scale-out would exhaust. A failed read is retried on the next call, not remembered.
 */
export class SharedUsageKey {
  private value: Promise<string> | undefined;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  get(): Promise<string> {
    if (this.value) return this.value;
    const pending = this.documents
      .send(new GetCommand({ TableName: this.tableName, Key: keys.sharedUsageKey(), ConsistentRead: true }))
      .then(({ Item }) => {
        if (typeof Item?.value !== 'string' || Item.value === '')
          throw new Error('The shared usage key is not in the table: deploy the stack (its custom resource writes it)');
        return Item.value;
      });
    this.value = pending;
    pending.catch(() => {
      if (this.value === pending) this.value = undefined;
    });
    return pending;
  }

  /** Writes the value (the deploy-time custom resource). */
  async publish(value: string): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.sharedUsageKey(), value, updatedAt: new Date().toISOString() },
      }),
    );
  }
}

export class KeyManagementNotWiredError extends Error {
  override name = 'KeyManagementNotWiredError';
  constructor() {
    super('This function is not wired to manage rate-limit keys: pass apiGatewayKeys to lambdaHandler');
  }
}

/**
 * The rate limits of a function that only names usage keys (the authorizer, lists,
 * whoami): the shared key, and no key management, so its bundle carries no API Gateway
 * client. A call to manage keys here is a wiring mistake, and says so.
 */
export class SharedKeyOnly implements RateLimits {
  constructor(private readonly shared: SharedUsageKey) {}

  bind(_request: KeyRequest): Promise<TokenBinding> {
    return Promise.reject(new KeyManagementNotWiredError());
  }
  setEnabled(_binding: TokenBinding, _enabled: boolean): Promise<void> {
    return Promise.reject(new KeyManagementNotWiredError());
  }
  unbind(_binding: TokenBinding): Promise<void> {
    return Promise.reject(new KeyManagementNotWiredError());
  }
  sharedUsageKey(): Promise<string> {
    return this.shared.get();
  }
}
