import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/**
 * Every answer the tests get over HTTP, checked against the committed OpenAPI document
 * (docs/openapi.json): the operation must document the status, the content type must be
 * the documented one, and the body must match its schema. A mismatch fails the test
 * that made the request.
 */

type Json = Record<string, any>;

const document = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../docs/openapi.json'), 'utf8')) as Json;
// ajv-formats is CommonJS with a default export; under ESM it arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// The schemas refer to each other as #/components/schemas/…, relative to the document.
ajv.addSchema({ $id: 'contract', components: { schemas: document.components.schemas } });

const operations = Object.entries(document.paths as Record<string, Json>).map(([template, item]) => ({
  pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+')}$`),
  literal: (template.match(/\{/g) ?? []).length,
  item,
}));
// Literal segments win over parameters, as in API Gateway.
operations.sort((a, b) => a.literal - b.literal);

export interface Answer {
  status: number;
  contentType: string | null;
  text: string;
  body: unknown;
}

/** What is wrong with an answer to `method path`, by the contract; empty when nothing is. */
export function contractProblems(method: string, path: string, answer: Answer): string[] {
  const pathname = path.split('?')[0]!;
  const operation = operations.find((candidate) => candidate.pattern.test(pathname))?.item[method.toLowerCase()] as
    | Json
    | undefined;
  const where = `${method} ${pathname.slice(0, 120)} → ${answer.status}`;
  // A route that does not exist is refused by the gateway with a documented problem.
  const response: Json | undefined = operation
    ? operation.responses?.[answer.status]
    : answer.status === 404
      ? problemResponse()
      : undefined;
  if (!response) return [`${where}: status not documented`];
  const content = response.content as Record<string, { schema: Json }> | undefined;
  if (!content) return answer.text === '' ? [] : [`${where}: documented without a body, but has one`];
  const type = (answer.contentType ?? '').split(';')[0]!.trim();
  const media = content[type];
  if (!media) return [`${where}: content type ${JSON.stringify(type)}, documented ${Object.keys(content).join(', ')}`];
  const validate = ajv.getSchema(`contract${media.schema.$ref}`) ?? ajv.compile(media.schema);
  if (validate(answer.body)) return [];
  return (validate.errors ?? []).map((error) => `${where}: body${error.instancePath} ${error.message}`);
}

function problemResponse(): Json {
  return { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
}

/** Throws, naming every mismatch, when an answer breaks the contract. */
export function assertContract(method: string, path: string, answer: Answer): void {
  const problems = contractProblems(method, path, answer);
  if (problems.length > 0) throw new Error(`The answer breaks docs/openapi.json:\n  ${problems.join('\n  ')}`);
}
