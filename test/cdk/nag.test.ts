import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { App, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { createServiceApp } from '../../infra/cdk/service-app.js';
import { type Synthesized, synthesize } from './template-support.js';

/**
 * The cdk-nag AwsSolutions pack over the whole app: nothing left unacknowledged, and
 * every acknowledgment sits on the resource it excuses, with its reason. Bundling is
 * skipped: the pack reads resources, not code.
 */

let synth: Synthesized;

before(() => {
  // With the pack registered as `npm run synth` registers it: synthesis itself fails on a finding.
  synth = synthesize({ bundle: false, nag: true });
});
after(() => synth?.cleanup());

function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id, reason }))),
    );
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged: no error and no warning', () => {
    const report = new AwsSolutionsChecks(synth.stack.node.root, { verbose: true }).validateScope(synth.stack.node.root);
    const findings = report.violations.map(
      (violation) => `${violation.severity} ${violation.ruleName} at ${violation.violatingResources.map((resource) => resource.constructPath).join(', ')}`,
    );
    assert.deepEqual(findings, []);
    assert.equal(report.success, true);
  });

  it('acknowledges each finding on the resource it concerns, with a one-line reason', () => {
    const acknowledged = acknowledgments(synth.stack);
    assert.ok(acknowledged.length > 0);
    for (const { path, id, reason } of acknowledged) {
      assert.match(id, /AwsSolutions-[A-Z]+\d+/, `${path}: ${id}`);
      assert.notEqual(path, synth.stack.node.path, `${id} is acknowledged for the whole stack`);
      assert.ok(reason.trim().length >= 20, `${path} ${id}: a reason, not a placeholder`);
      assert.ok(!reason.includes('\n'), `${path} ${id}: one line`);
    }
  });

  it('fails synthesis on a finding, so that synth and deploy enforce the pack', () => {
    const { app, stack } = createServiceApp({ context: { 'aws:cdk:bundling-stacks': [] }, outdir: `${synth.outdir}/broken` });
    new iam.Role(stack, 'TooBroad', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }),
    );
    // The report goes to the console as well; the assertion is about the failure.
    const printed: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void printed.push(...args);
    try {
      assert.throws(() => app.synth(), /Validation failed/);
    } finally {
      console.error = consoleError;
    }
    assert.match(printed.join('\n'), /AwsSolutions-IAM5/);
    const report = new AwsSolutionsChecks(app).validateScope(app as App);
    assert.ok(report.violations.some((violation) => violation.ruleName.startsWith('AwsSolutions-IAM5')));
  });
});
