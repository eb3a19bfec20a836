import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnResource } from 'aws-cdk-lib';
import { createServiceApp } from '../../infra/cdk/service-app.js';
import type { ServiceAccountTokensStack } from '../../infra/cdk/stack.js';
import type { ConsoleStack } from '../../infra/cdk/console-stack.js';

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
  UpdatePolicy?: Record<string, any>;
  DependsOn?: string[];
}

/** A template file as JSON. */
export interface TemplateJson {
  Resources: Record<string, Resource>;
  Parameters?: Record<string, any>;
  Outputs?: Record<string, any>;
}

/** One synthesized template, as the tests read it. */
export interface TemplateView {
  template: Template;
  resources: Record<string, Resource>;
  outputs: Record<string, any>;
  parameters: Record<string, any>;
}

export interface Synthesized extends TemplateView {
  /** The API's stack; `template`, `resources` and `outputs` are its own. */
  stack: ServiceAccountTokensStack;
  /** The operations stack nested in it (alarms, dashboard, deployment groups). */
  operations: TemplateView;
  /** The console's stack, unless context `console=false`. */
  console: (TemplateView & { stack: ConsoleStack }) | undefined;
  /** Every template file of the cloud assembly, nested ones included, by file name. */
  templates: Record<string, TemplateJson>;
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
 * `validate` runs the CDK's built-in CloudFormation validation (a WebAssembly engine that
 * cost a test file more CPU than the rest of its synthesis): stack.test.ts runs it on the
 * synthesis `npm run synth` makes and requires its report to be clean; the other files'
 * syntheses skip it.
 */
export function synthesize(options: {
  bundle: boolean;
  context?: Record<string, unknown>;
  nag?: boolean;
  validate?: boolean;
}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-test-'));
  const cleanup = () => rmSync(outdir, { recursive: true, force: true });
  let created: ReturnType<typeof createServiceApp>;
  let assembly: ReturnType<App['synth']>;
  try {
    created = createServiceApp({
      outdir,
      nag: options.nag ?? false,
      cloudFormationValidation: options.validate ?? false,
      context: { ...(options.bundle ? WITHOUT_STACK_TRACES : UNBUNDLED), ...options.context },
    });
    assembly = created.app.synth();
  } catch (error) {
    cleanup();
    throw error;
  }
  const { stack, console } = created;
  const templates = Object.fromEntries(
    readdirSync(outdir)
      .filter((file) => file.endsWith('.template.json'))
      .map((file) => [file, JSON.parse(readFileSync(join(outdir, file), 'utf8'))]),
  );
  const view = (json: Record<string, unknown>): TemplateView => {
    const template = Template.fromJSON(json);
    const parsed = template.toJSON() as TemplateJson;
    const { Resources: resources, Outputs: outputs = {}, Parameters: parameters = {} } = parsed;
    return { template, resources, outputs, parameters };
  };
  const templateOf = (name: string) => assembly.getStackByName(name).template as Record<string, unknown>;
  const main = view(templateOf(stack.stackName));
  return {
    stack,
    ...main,
    operations: view(templates[stack.operations.templateFile]),
    console: console ? { stack: console, ...view(templateOf(console.stackName)) } : undefined,
    templates,
    outdir,
    functionId(id) {
      const fn = stack.functions.get(id);
      if (!fn) throw new Error(`No function ${id} in the stack`);
      return Stack.of(fn).getLogicalId(fn.function.node.defaultChild as CfnResource);
    },
    cleanup,
  };
}

/**
 * What the API stack gives a parameter of the nested operations stack (a `Ref` to one of
 * its parameters), or the value itself when it is not such a reference.
 */
export function parentValue(synth: Synthesized, value: unknown): unknown {
  const ref = (value as { Ref?: string }).Ref;
  if (!ref || !synth.operations.parameters[ref]) return value;
  const [, nested] = operationsStack(synth);
  return nested.Properties!.Parameters[ref];
}

/** The operations stack's resource in the API's stack (beside the rate tiers' and pooled keys'). */
export const operationsStack = (synth: Synthesized): [string, Resource] =>
  ofType(synth.resources, 'AWS::CloudFormation::Stack').find(([id]) => id.startsWith('Operations'))!;

export function ofType(resources: Record<string, Resource>, type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** The CDK library's own function (and its role's policy) that copies the console into its bucket: not the service's code. */
export const isConsoleDeployer = (logicalId: string): boolean => logicalId.startsWith('CustomCDKBucketDeployment');

/** The CDK library's own functions: the console deployer, and the bucket emptier an ephemeral stage gets. */
export const isLibraryFunction = (logicalId: string): boolean =>
  isConsoleDeployer(logicalId) || logicalId.startsWith('CustomS3AutoDeleteObjects');

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
/** Every statement of every role's inline policies and of every `AWS::IAM::Policy`, by the resource that holds it. */
export function allStatements(resources: Record<string, Resource>): [string, Statement][] {
  type Held = [string, Statement];
  const held = (id: string, statements: Statement[]) => statements.map((statement): Held => [id, statement]);
  const inline = ofType(resources, 'AWS::IAM::Role').flatMap(([id, role]) => {
    const policies = (role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
    return policies.flatMap((policy) => held(id, policy.PolicyDocument.Statement));
  });
  const attached = ofType(resources, 'AWS::IAM::Policy').flatMap(([id, policy]) => {
    return held(id, policy.Properties!.PolicyDocument.Statement as Statement[]);
  });
  return [...inline, ...attached];
}

export function statementsOf(resources: Record<string, Resource>, functionLogicalId: string): Statement[] {
  const role = resources[functionLogicalId]?.Properties?.Role as { 'Fn::GetAtt': [string, string] } | undefined;
  const roleId = role?.['Fn::GetAtt']?.[0];
  if (!roleId) throw new Error(`Function ${functionLogicalId} has no role of its own`);
  const inline = (
    (resources[roleId]?.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]
  ).flatMap((policy) => policy.PolicyDocument.Statement);
  const attached = ofType(resources, 'AWS::IAM::Policy')
    .filter(([, policy]) =>
      ((policy.Properties?.Roles ?? []) as unknown[]).some(
        (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .flatMap(([, policy]) => policy.Properties!.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

export function managedPoliciesOf(resources: Record<string, Resource>, functionLogicalId: string): unknown[] {
  const roleId = (resources[functionLogicalId]!.Properties!.Role as { 'Fn::GetAtt': [string, string] })[
    'Fn::GetAtt'
  ][0];
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

export interface Invoked {
  function: string;
  alias?: string;
}

/**
 * The Lambda function an invocation ARN leads to (a proxy integration's or an authorizer's
 * URI): the function it names, or the function of the alias it names.
 */
export function invokedFunction(resources: Record<string, Resource>, uri: unknown): Invoked | undefined {
  const text = JSON.stringify(uri ?? {});
  const direct = text.match(/"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]/)?.[1];
  if (direct) return { function: direct };
  const refs = text.match(/"Ref":"([A-Za-z0-9]+)"/g)?.map((ref) => ref.slice(7, -1)) ?? [];
  const aliasId = refs.find((id) => resources[id]?.Type === 'AWS::Lambda::Alias');
  if (!aliasId) return undefined;
  const target = (resources[aliasId]!.Properties!.FunctionName as { Ref: string }).Ref;
  return { function: target, alias: aliasId };
}

/** The Lambda function a proxy integration invokes, directly or through an alias. */
export function integratedFunction(resources: Record<string, Resource>, method: Resource): string | undefined {
  return invokedFunction(resources, method.Properties?.Integration?.Uri)?.function;
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
