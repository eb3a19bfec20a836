import { simulateControlPlane } from '../test/ratelimit/control-plane.js';
import { overHttp } from '../test/ratelimit/control-plane-http.js';

/**
 * The control-plane simulation (test/ratelimit/control-plane.ts) over HTTP on DynamoDB
 * Local: 1,000 limited creates within a simulated minute against API Gateway's quotas, as
 * `controlPlane` in bench/results.json. A run that breaks a promise fails the benchmark
 * instead of writing it.
 */
export async function controlPlaneFigures(dynamodbEndpoint: string, smoke: boolean) {
  const figures = await simulateControlPlane({ service: overHttp(dynamodbEndpoint), creates: smoke ? 100 : 1000 });
  const { creates, windowSeconds, answered201, overQuotaCalls, allOwnKeysWithinSeconds, capacityStatus } = figures;
  if (answered201 !== creates || overQuotaCalls > 0 || figures.notOnOwnKey.length > 0 || capacityStatus !== 409)
    throw new Error(`control plane: ${JSON.stringify(figures)}`);
  console.error(
    `control plane: ${creates} limited creates in ${windowSeconds} s, ${answered201} answered 201, ` +
      `${overQuotaCalls} calls over a quota, every token on its own key within ${allOwnKeysWithinSeconds} s`,
  );
  const description =
    'limited creates over HTTP within a simulated minute, API Gateway’s control plane faked with its quotas ' +
    '(10 calls/s, burst 40; CreateApiKey 5/s); the key worker at its default pace; the ceiling set to the creates';
  return {
    controlPlane: {
      description,
      creates,
      windowSeconds,
      answered201,
      overQuotaCalls,
      allOwnKeysWithinSeconds,
      capacityStatus,
    },
  };
}
