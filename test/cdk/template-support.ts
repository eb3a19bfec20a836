import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnResource } from 'aws-cdk-lib';
import { createServiceApp } from '../../infra/cdk/service-app.js';
import type { ServiceAccountTokensStack } from '../../infra/cdk/stack.js';

/**
 * One synthesis of the app for a test file, and the lookups the CDK tests share: which
 * resources belong to which function, what a function's role may do, where a method sits.
 */

export interface Resource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}

export interface Synthesized {
  stack: ServiceAccountTokensStack;
  template: Template;
  resources: Record<string, Resource>;
  outputs: Record<string, any>;
  outdir: string;
  /** Logical id of the Lambda function of a route, scheduled function or the authorizer. */
  functionId(id: string): string;
  cleanup(): void;
}

/**
 * Stack traces of where each construct was made: metadata for debugging in the cloud
 * assembly, never in the template the tests read, and under jest (which maps every frame
 * through source maps) a large part of a synthesis.
 */
const WITHOUT_STACK_TRACES = { 'aws:cdk:disable-stack-trace': true, 'aws:cdk:disable-creation-stack-traces': true };
/** Context for a synthesis that only the template matters to: no bundling (esbuild), no stack traces. */
export const UNBUNDLED = { ...WITHOUT_STACK_TRACES, 'aws:cdk:bundling-stacks': [] };

/**
 * Synthesizes the app into a temporary directory. `bundle: false` skips esbuild (the
 * template is the same but for asset hashes), for tests that do not look at bundles.
 */
export function synthesize(options: { bundle: boolean; context?: Record<string, unknown>; nag?: boolean }): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-test-'));
  const cleanup = () => rmSync(outdir, { recursive: true, force: true });
  let stack: ServiceAccountTokensStack;
  let assembly: ReturnType<App['synth']>;
  try {
    const created = createServiceApp({
      outdir,
      nag: options.nag ?? false,
      context: { ...(options.bundle ? WITHOUT_STACK_TRACES : UNBUNDLED), ...options.context },
    });
    stack = created.stack;
    assembly = created.app.synth();
  } catch (error) {
    cleanup();
    throw error;
  }
  const template = Template.fromJSON(assembly.getStackByName(stack.stackName).template as Record<string, unknown>);
  const json = template.toJSON() as { Resources: Record<string, Resource>; Outputs?: Record<string, any> };
  return {
    stack,
    template,
    resources: json.Resources,
    outputs: json.Outputs ?? {},
    outdir,
    functionId(id) {
      const fn = stack.functions.get(id);
      if (!fn) throw new Error(`No function ${id} in the stack`);
      return Stack.of(fn).getLogicalId(fn.function.node.defaultChild as CfnResource);
    },
    cleanup,
  };
}

export function ofType(resources: Record<string, Resource>, type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** The CDK library's own function (and its role's policy) that copies the console into its bucket: not the service's code. */
export const isConsoleDeployer = (logicalId: string): boolean => logicalId.startsWith('CustomCDKBucketDeployment');

/** The CDK library's own functions: the console deployer, and the bucket emptier an ephemeral stage gets. */
export const isLibraryFunction = (logicalId: string): boolean => isConsoleDeployer(logicalId) || logicalId.startsWith('CustomS3AutoDeleteObjects');

/** The service's own Lambda functions: every one but the library's. */
export function serviceFunctions(resources: Record<string, Resource>): [string, Resource][] {
  return ofType(resources, 'AWS::Lambda::Function').filter(([id]) => !isLibraryFunction(id));
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement the function's role carries: inline policies and attached `AWS::IAM::Policy` resources. */
export function statementsOf(resources: Record<string, Resource>, functionLogicalId: string): Statement[] {
  const role = resources[functionLogicalId]?.Properties?.Role as { 'Fn::GetAtt': [string, string] } | undefined;
  const roleId = role?.['Fn::GetAtt']?.[0];
  if (!roleId) throw new Error(`Function ${functionLogicalId} has no role of its own`);
  const inline = ((resources[roleId]?.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (policy) => policy.PolicyDocument.Statement,
  );
  const attached = ofType(resources, 'AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties?.Roles as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId })))
    .flatMap(([, policy]) => policy.Properties!.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

export function managedPoliciesOf(resources: Record<string, Resource>, functionLogicalId: string): unknown[] {
  const roleId = (resources[functionLogicalId]?.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return (resources[roleId]?.Properties?.ManagedPolicyArns ?? []) as unknown[];
}

export const actionsOf = (statement: Statement): string[] => [statement.Action].flat().sort();
export const resourcesOf = (statement: Statement): unknown[] => [statement.Resource].flat();

/** The full path of an `AWS::ApiGateway::Resource`, or `/` for the API's root. */
export function resourcePath(resources: Record<string, Resource>, ref: unknown): string {
  const logicalId = (ref as { Ref?: string }).Ref;
  if (!logicalId) return ''; // Fn::GetAtt RootResourceId
  const resource = resources[logicalId]!;
  return `${resourcePath(resources, resource.Properties!.ParentId)}/${resource.Properties!.PathPart as string}`;
}

/** The Lambda function a proxy integration invokes (its URI embeds `Fn::GetAtt [fn, Arn]`). */
export function integratedFunction(method: Resource): string | undefined {
  const found = JSON.stringify(method.Properties?.Integration?.Uri ?? {}).match(/"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]/);
  return found?.[1];
}

/** A CloudFormation `Fn::Join` with pseudo parameters, rendered the way cdk-nag and IAM readers write it. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(render).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref) return `<${ref}>`;
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
  return JSON.stringify(value);
}
