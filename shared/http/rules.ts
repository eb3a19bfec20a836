import type { FieldError } from '../kernel/errors.js';

/**
 * The handful of rules the request shapes are made of (validation.ts), as plain closures.
 *
 * Why not zod at run time: zod sets up each kind of schema the first time one is built, and
 * that set-up was most of the init a validating function spent beyond the others
 * (docs/performance.md). These closures cost next to nothing until a request calls them.
 * zod still describes the same shapes for the OpenAPI document (request-schemas.ts), so
 * these keep zod's meaning for everything the shapes use: the same issues, in the same
 * order, with the same messages. test/unit/request-rules.test.ts holds the two
 * descriptions to one answer for generated bodies.
 *
 * How an issue bears on the checks after it, as in zod: `go` lets them run; `type` (a value
 * of the wrong type) stops all but the length checks; `halt` stops every one.
 */
type Flow = 'go' | 'type' | 'halt';
interface Issue {
  path: (string | number)[];
  message: string;
  flow: Flow;
  /** An object's fields that its shape does not name. */
  keys?: string[];
}
export interface Payload {
  value: unknown;
  issues: Issue[];
  /** Set by a pipe whose first step failed: no later check runs. */
  stopped?: boolean;
}
/** Reads `payload.value`, records issues, and leaves the value it makes of it. `T`: that value's type. */
export type Rule<T> = ((payload: Payload) => void) & { readonly optional?: true; readonly __output?: T };
type Output<R> = R extends Rule<infer T> ? T : never;
type Check = ((payload: Payload) => void) & { readonly sized?: true; readonly cap?: number };
type Message = string | ((input: unknown) => string);

const DEFAULT_MESSAGE = 'Invalid input';
const said = (message: Message | undefined, input: unknown) =>
  typeof message === 'function' ? message(input) : (message ?? DEFAULT_MESSAGE);
const flag = (p: Payload, message: string, flow: Flow = 'go', path: (string | number)[] = []) => {
  p.issues.push({ path, message, flow });
};
const halted = (p: Payload) => p.stopped === true || p.issues.some((issue) => issue.flow === 'halt');
const stopped = (p: Payload) => p.stopped === true || p.issues.some((issue) => issue.flow !== 'go');
const hasLength = (value: unknown) =>
  value !== null && value !== undefined && (value as { length?: unknown }).length !== undefined;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A rule: its own parse, then its checks in order. For a list (`capped`), a length over a
 * leading maximum fails that check alone, before any element is read: a huge list costs one issue.
 */
function rule<T>(parse: (p: Payload) => void, checks: readonly Check[], capped = false): Rule<T> {
  let cap: Check | undefined;
  for (const check of capped ? checks : []) {
    if (!check.sized) break;
    if (check.cap !== undefined && (cap === undefined || check.cap < cap.cap!)) cap = check;
  }
  return (p: Payload) => {
    if (cap && Array.isArray(p.value) && p.value.length > cap.cap!) {
      cap(p);
      p.issues[p.issues.length - 1]!.flow = 'halt';
      return;
    }
    parse(p);
    for (const check of checks) {
      if (check.sized ? halted(p) || !hasLength(p.value) : stopped(p)) continue;
      check(p);
    }
  };
}

/** The value's own issues, moved to the parent's under `key`. */
function nest(parent: Payload, child: Payload, key: string | number): void {
  for (const issue of child.issues) parent.issues.push({ ...issue, path: [key, ...issue.path] });
}

export function string(message?: Message, ...checks: Check[]): Rule<string> {
  return rule((p) => {
    if (typeof p.value !== 'string') flag(p, said(message, p.value), 'type');
  }, checks);
}

export function boolean(message: Message): Rule<boolean> {
  return rule((p) => {
    if (typeof p.value !== 'boolean') flag(p, said(message, p.value), 'type');
  }, []);
}

/** A safe integer; a fraction stops every later check, as zod's `int` does. */
export function int(message: Message, ...checks: Check[]): Rule<number> {
  const format: Check = (p) => {
    const n = p.value as number;
    if (!Number.isInteger(n)) flag(p, said(message, n), 'halt');
    else if (!Number.isSafeInteger(n)) flag(p, said(message, n));
  };
  return rule(
    (p) => {
      if (typeof p.value !== 'number' || !Number.isFinite(p.value)) flag(p, said(message, p.value), 'type');
    },
    [format, ...checks],
  );
}

export function oneOf<const V extends readonly string[]>(values: V, message: Message): Rule<V[number]> {
  return rule((p) => {
    if (!values.includes(p.value as string)) flag(p, said(message, p.value), 'type');
  }, []);
}

export function nullable<T>(inner: Rule<T>): Rule<T | null> {
  return (p: Payload) => {
    if (p.value !== null) inner(p);
  };
}

/** A field that may be left out (an object leaves it out of its value too). */
export function optional<T>(inner: Rule<T>): Rule<T | undefined> {
  return Object.assign(
    (p: Payload) => {
      if (p.value !== undefined) inner(p);
    },
    { optional: true as const },
  );
}

/** `inner`, then `to` on its value: only when `inner` found nothing wrong. */
export function pipe<T, U>(inner: Rule<T>, to: (value: T, p: Payload) => U, ...checks: Check[]): Rule<U> {
  return rule((p) => {
    inner(p);
    if (p.issues.length > 0) p.stopped = true;
    else p.value = to(p.value as T, p);
  }, checks);
}

export function array<T>(element: Rule<T>, message: Message, ...checks: Check[]): Rule<T[]> {
  return rule(
    (p) => {
      const input = p.value;
      if (!Array.isArray(input)) return flag(p, said(message, input), 'type');
      p.value = input.map((item, index) => {
        const child: Payload = { value: item, issues: [] };
        element(child);
        nest(p, child, index);
        return child.value;
      });
    },
    checks,
    true,
  );
}

type Shape = Record<string, Rule<unknown>>;
type ShapeOutput<S extends Shape> = { [K in keyof S]: Output<S[K]> };

type ObjectOptions = { strict?: boolean; message?: Message };
/** An object rule, with the shape and options `extend` builds on. */
type ObjectRule<S extends Shape> = Rule<ShapeOutput<S>> & { shape: S; options: ObjectOptions };

/**
 * An object of these fields; `strict`: any other field is an issue (one issue naming them
 * all, after the fields' own, that lets the object's checks still run).
 */
export function object<S extends Shape>(shape: S, options: ObjectOptions = {}, ...checks: Check[]): ObjectRule<S> {
  const keys = Object.keys(shape);
  const parse = rule<ShapeOutput<S>>((p) => {
    const input = p.value;
    if (!isObject(input)) return flag(p, said(options.message, input), 'type');
    const value: Record<string, unknown> = {};
    for (const key of keys) {
      const field = shape[key]!;
      const present = key in input;
      if (!present && field.optional) continue;
      const child: Payload = { value: input[key], issues: [] };
      field(child);
      nest(p, child, key);
      if (present) value[key] = child.value;
    }
    p.value = value;
    if (!options.strict) return;
    const unknown: string[] = [];
    for (const key in input) if (!keys.includes(key)) unknown.push(key);
    if (unknown.length > 0) p.issues.push({ path: [], message: '', flow: 'go', keys: unknown });
  }, checks);
  return Object.assign(parse, { shape, options });
}

/** The same object with more fields, after its own (and without its checks, as zod's `extend` allows none). */
export function extend<S extends Shape, E extends Shape>(base: ObjectRule<S>, more: E): ObjectRule<S & E> {
  return object({ ...base.shape, ...more }, base.options);
}

/** A JSON object of any keys, each value read by `values`. */
export function record<T>(values: Rule<T>, message: Message, ...checks: Check[]): Rule<Record<string, T>> {
  return rule((p) => {
    const input = p.value;
    if (!isObject(input)) return flag(p, said(message, input), 'type');
    const value: Record<string, T> = {};
    for (const key of Object.keys(input)) {
      if (key === '__proto__') continue;
      const child: Payload = { value: input[key], issues: [] };
      values(child);
      nest(p, child, key);
      value[key] = child.value as T;
    }
    p.value = value;
  }, checks);
}

/** An issue a pipe's step finds, at `path` below the value: nothing after it runs. */
export function fail(p: Payload, message: string, path: (string | number)[]): void {
  flag(p, message, 'type', path);
}

export function regex(pattern: RegExp, message: Message): Check {
  return (p) => {
    pattern.lastIndex = 0;
    if (!pattern.test(p.value as string)) flag(p, said(message, p.value));
  };
}

export function minLength(min: number, message: Message): Check {
  const check = (p: Payload) => {
    if ((p.value as { length: number }).length < min) flag(p, said(message, p.value));
  };
  return Object.assign(check, { sized: true as const });
}

export function maxLength(max: number, message: Message): Check {
  const check = (p: Payload) => {
    if ((p.value as { length: number }).length > max) flag(p, said(message, p.value));
  };
  return Object.assign(check, { sized: true as const, cap: max });
}

export function minimum(min: number, message: Message): Check {
  return (p) => {
    if (!((p.value as number) >= min)) flag(p, said(message, p.value));
  };
}

export function maximum(max: number, message: Message): Check {
  return (p) => {
    if (!((p.value as number) <= max)) flag(p, said(message, p.value));
  };
}

/** A check of the whole value; its issue is at `path` below the value (the value itself by default). */
export function refine<T>(test: (value: T) => boolean, message: Message, path: string[] = []): Check {
  return (p) => {
    if (!test(p.value as T)) flag(p, said(message, p.value), 'go', [...path]);
  };
}

/**
 * Field errors from a rule's issues: a field is its path (`allowedCidrs.2`), the value
 * itself `prefix` (or `body`); each field a strict object does not name is one error. A
 * field's error is said once: two checks with one text (an integer beyond the safe range
 * and beyond the maximum, say) would otherwise repeat it.
 */
function fieldErrors(issues: readonly Issue[], prefix: string): FieldError[] {
  const list: FieldError[] = [];
  // A set, not a search of the list: a report body of a thousand bad matches has thousands.
  const seen = new Set<string>();
  const add = (field: string, message: string) => {
    const key = `${field}\n${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    list.push({ field, message });
  };
  for (const issue of issues) {
    const path = issue.path.map(String).join('.');
    if (issue.keys) for (const key of issue.keys) add(path ? `${path}.${key}` : key, 'is not an allowed field');
    else add(path === '' ? prefix || 'body' : path, issue.message);
  }
  return list;
}

/** Validates one part of a request: its value, or undefined with the field errors pushed onto `errors`. */
export function check<T>(rule: Rule<T>, value: unknown, errors: FieldError[], prefix = ''): T | undefined {
  const payload: Payload = { value, issues: [] };
  rule(payload);
  if (payload.issues.length === 0) return payload.value as T;
  errors.push(...fieldErrors(payload.issues, prefix));
  return undefined;
}
