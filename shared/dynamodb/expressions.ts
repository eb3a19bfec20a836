/**
 * DynamoDB update and condition expressions built from values, never from hand-written
 * strings: every attribute goes through a name placeholder and every value through a
 * value placeholder, so an attribute named like a reserved word, or a value with any
 * content, cannot change what an expression means. A dotted name is a path into a map
 * (`previousSecret.lastUsedAt`): no attribute of ours has a dot in its name.
 */

export interface Placeholders {
  name(attribute: string): string;
  value(value: unknown): string;
}

/** A condition, rendered against the placeholders of the expression it is part of. */
export type Condition = (p: Placeholders) => string;

export const exists =
  (attribute: string): Condition =>
  (p) =>
    `attribute_exists(${p.name(attribute)})`;
export const absent =
  (attribute: string): Condition =>
  (p) =>
    `attribute_not_exists(${p.name(attribute)})`;
export const lessThan =
  (attribute: string, value: unknown): Condition =>
  (p) =>
    `${p.name(attribute)} < ${p.value(value)}`;
export const differs =
  (attribute: string, value: unknown): Condition =>
  (p) =>
    `${p.name(attribute)} <> ${p.value(value)}`;
export const atMost =
  (attribute: string, value: unknown): Condition =>
  (p) =>
    `${p.name(attribute)} <= ${p.value(value)}`;

/**
 * The attribute holds exactly `value`: `undefined` means absent, `null` means absent or
 * NULL (a document client writes null as a NULL attribute; older items may lack it).
 */
export function equals(attribute: string, value: unknown): Condition {
  if (value === undefined) return absent(attribute);
  if (value === null)
    return (p) =>
      `(attribute_not_exists(${p.name(attribute)}) OR attribute_type(${p.name(attribute)}, ${p.value('NULL')}))`;
  return (p) => `${p.name(attribute)} = ${p.value(value)}`;
}

export const all =
  (...conditions: Condition[]): Condition =>
  (p) =>
    conditions.map((condition) => condition(p)).join(' AND ');
export const either =
  (...conditions: Condition[]): Condition =>
  (p) =>
    `(${conditions.map((condition) => condition(p)).join(' OR ')})`;

export interface ExpressionParts {
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

export interface UpdateSpec {
  /** Attributes to set; `undefined` values are skipped. */
  set?: Record<string, unknown>;
  /** Attributes set only where they do not exist yet (`if_not_exists`). */
  setIfAbsent?: Record<string, unknown>;
  /** Attributes set to another attribute's current value (target: source). */
  copy?: Record<string, string>;
  /** Numbers added to attributes (created at the value if absent). */
  add?: Record<string, number>;
  remove?: string[];
  condition?: Condition;
}

/** Renders an update (or a condition alone) into the request fields DynamoDB takes. */
export function expression(spec: UpdateSpec): ExpressionParts {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const nameOf = new Map<string, string>();
  const placeholders: Placeholders = {
    name(path) {
      return path
        .split('.')
        .map((attribute) => {
          let placeholder = nameOf.get(attribute);
          if (!placeholder) {
            placeholder = `#n${nameOf.size}`;
            nameOf.set(attribute, placeholder);
            names[placeholder] = attribute;
          }
          return placeholder;
        })
        .join('.');
    },
    value(value) {
      const placeholder = `:v${Object.keys(values).length}`;
      values[placeholder] = value;
      return placeholder;
    },
  };
  const clauses: string[] = [];
  const sets = Object.entries(spec.set ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([attribute, value]) => `${placeholders.name(attribute)} = ${placeholders.value(value)}`);
  for (const [target, source] of Object.entries(spec.copy ?? {}))
    sets.push(`${placeholders.name(target)} = ${placeholders.name(source)}`);
  for (const [attribute, value] of Object.entries(spec.setIfAbsent ?? {})) {
    const name = placeholders.name(attribute);
    sets.push(`${name} = if_not_exists(${name}, ${placeholders.value(value)})`);
  }
  if (sets.length > 0) clauses.push(`SET ${sets.join(', ')}`);
  const adds = Object.entries(spec.add ?? {}).map(
    ([attribute, by]) => `${placeholders.name(attribute)} ${placeholders.value(by)}`,
  );
  if (adds.length > 0) clauses.push(`ADD ${adds.join(', ')}`);
  if (spec.remove && spec.remove.length > 0)
    clauses.push(`REMOVE ${spec.remove.map((attribute) => placeholders.name(attribute)).join(', ')}`);
  const condition = spec.condition?.(placeholders);
  return {
    ...(clauses.length > 0 ? { UpdateExpression: clauses.join(' ') } : {}),
    ...(condition ? { ConditionExpression: condition } : {}),
    ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}

/** An update's request fields; an update that changes nothing is a programming error. */
export function updateExpression(spec: UpdateSpec): ExpressionParts & { UpdateExpression: string } {
  const parts = expression(spec);
  if (parts.UpdateExpression === undefined) throw new Error('An update must change something');
  return { ...parts, UpdateExpression: parts.UpdateExpression };
}
