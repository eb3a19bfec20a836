import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { lambdaHandler } from '../shared/lambda-entry.js';
import { createSharedKeyPublisher } from '../shared/ratelimit/publish-shared-key.js';
import type { Runtime } from '../shared/runtime.js';

/** Deploy-time custom resource: the unthrottled key's value, copied into the table. */
export const create = (runtime: Runtime) => createSharedKeyPublisher(runtime, new APIGatewayClient({ region: runtime.config.region }));
export const handler = lambdaHandler(create);
