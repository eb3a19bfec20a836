import { describe, expect, it } from '@jest/globals';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createObservability } from '../../shared/http/observability.js';
import { jsonLogLines } from '../support/log-lines.js';

/**
 * The stack's quota alarms match a metric by namespace, name and exactly its dimensions:
 * the EMF lines the functions write must carry those.
 */
describe('metrics', () => {
  it('are written as EMF in the stack’s namespace with the service dimension the alarms name', async () => {
    const { metrics } = createObservability({ logLevel: 'SILENT', metrics: true });
    const lines = await jsonLogLines(() => {
      metrics.addMetric('UsagePlans', MetricUnit.Count, 12);
      metrics.publishStoredMetrics();
    });
    const emf = lines.find((entry) => entry._aws) as { _aws: { CloudWatchMetrics: unknown } } | undefined;
    if (!emf) throw new Error(`no EMF line among ${JSON.stringify(lines)}`);
    expect(emf._aws.CloudWatchMetrics).toStrictEqual([
      {
        Namespace: 'ServiceAccountTokens',
        Dimensions: [['service']],
        Metrics: [{ Name: 'UsagePlans', Unit: 'Count' }],
      },
    ]);
    expect(emf).toMatchObject({ service: 'service-account-tokens', UsagePlans: 12 });
  });
});
