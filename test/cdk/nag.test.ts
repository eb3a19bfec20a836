import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type App, DefaultStackSynthesizer, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { createServiceApp } from '../../infra/cdk/service-app.js';
import { PROJECT_ROOT } from '../../infra/cdk/service-function.js';
import { type Synthesized, synthesize, UNBUNDLED } from './template-support.js';

/**
 * The cdk-nag AwsSolutions pack over the whole app: nothing left unacknowledged, and
 * every acknowledgment sits on the resource it excuses, with its reason. Bundling is
 * skipped: the pack reads resources, not code.
 */

let synth: Synthesized;

beforeAll(() => {
  // With the pack registered as `npm run synth` registers it: synthesis itself fails on a finding.
  synth = synthesize({ bundle: false, nag: true });
});
afterAll(() => synth?.cleanup());

function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged: no error and no warning', () => {
    const report = new AwsSolutionsChecks(synth.stack.node.root, { verbose: true }).validateScope(
      synth.stack.node.root,
    );
    const findings = report.violations.map(
      (violation) =>
        `${violation.severity} ${violation.ruleName} at ${violation.violatingResources.map((resource) => resource.constructPath).join(', ')}`,
    );
    expect(findings).toStrictEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges each finding on the resource it concerns, with a one-line reason', () => {
    const acknowledged = acknowledgments(synth.stack.node.root);
    const stacks = [synth.stack, synth.stack.operations, synth.console!.stack].map((stack) => stack.node.path);
    expect(acknowledged.length > 0).toBeTruthy();
    for (const { path, id, reason } of acknowledged) {
      // `${path}: ${id}`
      expect(id).toMatch(/AwsSolutions-[A-Z]+\d+/);
      // `${id} is acknowledged for a whole stack`
      expect(stacks.includes(path)).toBe(false);
      // `${path} ${id}: a reason, not a placeholder`
      expect(reason.trim().length >= 20).toBeTruthy();
      // `${path} ${id}: one line`
      expect(!reason.includes('\n')).toBeTruthy();
    }
  });

  it('names no bootstrap qualifier in the code: the asset bucket it acknowledges is the synthesizer’s', () => {
    const infra = join(PROJECT_ROOT, 'infra/cdk');
    const sources = readdirSync(infra).map((file) => readFileSync(join(infra, file), 'utf8'));
    expect(sources.filter((source) => source.includes(DefaultStackSynthesizer.DEFAULT_QUALIFIER))).toStrictEqual([]);
    const assetBucket = acknowledgments(synth.stack.node.root).filter(({ id }) => id.includes(':s3:::cdk-'));
    const defaultAssetBucket = `cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-<AWS::AccountId>-<AWS::Region>`;
    expect(assetBucket.map(({ id }) => id)).toStrictEqual([
      `Annotation::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${defaultAssetBucket}/*]`,
    ]);
  });

  it('fails synthesis on a finding, so that synth and deploy enforce the pack', () => {
    const { app, stack } = createServiceApp({
      context: UNBUNDLED,
      outdir: `${synth.outdir}/broken`,
      cloudFormationValidation: false,
    });
    new iam.Role(stack, 'TooBroad', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }),
    );
    // The finding is named in the failure itself.
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
    const report = new AwsSolutionsChecks(app).validateScope(app as App);
    expect(report.violations.some((violation) => violation.ruleName.startsWith('AwsSolutions-IAM5'))).toBeTruthy();
  });
});
