import { describe, expect, it, jest } from '@jest/globals';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createObservability } from '../../shared/http/observability.js';

/**
 * The stack's quota alarms match a metric by namespace, name and exactly its dimensions:
 * the EMF lines the functions write must carry those.
 */
describe('metrics', () => {
  it('are written as EMF in the stack’s namespace with the service dimension the alarms name', () => {
    const { metrics } = createObservability({ logLevel: 'SILENT', metrics: true });
    const lines: string[] = [];
    // Powertools writes through a console of its own, on stdout.
    const spy = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: unknown) => lines.push(String(chunk)) > 0);
    try {
      metrics.addMetric('UsagePlans', MetricUnit.Count, 12);
      metrics.publishStoredMetrics();
    } finally {
      spy.mockRestore();
    }
    const emf = lines
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
      .find((entry) => entry._aws);
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
