import { createHash } from 'node:crypto';
import { Aws, type Stack } from 'aws-cdk-lib';

/**
 * Room kept for the Region in a name: a hyphen and its code (the longest, such as
 * `us-isof-south-1`, is 15 characters), with a margin.
 */
const REGION_ROOM = 20;

/**
 * A physical name for what must be named and is unique per account (CloudFront's policies,
 * the dashboard) or per Region (the web ACL): the stack's name, which carries the stage,
 * a suffix, and the Region, so that two stages, or one stage in two Regions, never share
 * it. When the whole would pass `max`, the stack part is cut and a hash of it kept.
 */
export function regionalName(stack: Stack, suffix: string, max: number): string {
  const base = `${stack.stackName}-${suffix}`;
  const room = max - REGION_ROOM;
  if (room < 16) throw new Error(`No room for a name of at most ${max} characters`);
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
  const literal = base.length <= room ? base : `${base.slice(0, room - 9)}-${hash}`;
  return `${literal}-${Aws.REGION}`;
}

/**
 * A template value as cdk-nag writes it in a finding's id: `Fn::Join` and `Fn::Sub` joined,
 * `${X}` and references as `<X>`, so that an acknowledgement can name exactly what it excuses.
 */
export function nagFlatten(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/}/g, '>');
  // biome-ignore lint/suspicious/noExplicitAny: a CloudFormation intrinsic is untyped JSON of any shape
  const node = value as Record<string, any>;
  if (node['Fn::Join']) return (node['Fn::Join'][1] as unknown[]).map(nagFlatten).join(node['Fn::Join'][0] as string);
  if (node['Fn::Sub']) return nagFlatten(node['Fn::Sub']);
  if (node['Fn::GetAtt']) return `<${nagFlatten(node['Fn::GetAtt'][0])}.${nagFlatten(node['Fn::GetAtt'][1])}>`;
  if (node.Ref) return `<${nagFlatten(node.Ref)}>`;
  return JSON.stringify(value);
}
