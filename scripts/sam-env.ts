import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_DEFAULTS } from '../shared/kernel/config.js';
import { defaultStackName } from '../infra/cdk/stack-name.js';
import { LOCAL_DIR, PROJECT_ROOT } from '../infra/local/paths.js';
import { runningServers } from '../infra/local/servers.js';
import { commandLine } from '../infra/local/command-line.js';

/**
 * `npm run sam-env`: writes the `--env-vars` file for `sam local start-api` on the
 * synthesized template. Every function is pointed at a DynamoDB Local and a JWKS on the
 * host (through `host.docker.internal`, since the functions run in containers), and the
 * API Gateway wiring is emptied: SAM emulates no usage plans or API keys, so the
 * functions must not try to manage them. When `npm start` is running, its DynamoDB Local,
 * table and JWKS are used.
 */

/** The template of the default stage's API stack. */
const DEFAULT_STACK = defaultStackName('prod');

const usage = `Usage: npm run sam-env -- [options]
  --template FILE           synthesized template (default cdk.out/${DEFAULT_STACK}.template.json)
  --out FILE                env-vars file to write (default .local/sam-env.json)
  --dynamodb-endpoint URL   DynamoDB Local as the containers reach it
                            (default: the one \`npm start\` runs, else http://host.docker.internal:8000)
  --jwks-url URL            JWKS of the local OpenID provider as the containers reach it
                            (default: the one \`npm start\` serves, else http://host.docker.internal:3000/oidc/jwks)
  --table NAME              table name (default: the one \`npm start\` uses, else ${LOCAL_DEFAULTS.TABLE_NAME})`;

/** What SAM reads: per function logical id, values for variables the template declares. */
export type SamEnvVars = Record<string, Record<string, string>>;

export interface SamEnvOptions {
  dynamodbEndpoint: string;
  jwksUrl: string;
  tableName: string;
  /**
   * The `iss` of the JWTs: the local provider's issuer as it writes it (not rewritten for containers). @default
   * LOCAL_DEFAULTS.JWT_ISSUER
   */
  issuer?: string;
}

interface Template {
  Resources?: Record<string, { Type?: string; Properties?: { Environment?: { Variables?: Record<string, unknown> } } }>;
}

/** Loopback as seen from a container is the container itself; the host is `host.docker.internal`. */
export function fromContainer(url: string): string {
  const parsed = new URL(url);
  if (['127.0.0.1', 'localhost', '[::1]', '0.0.0.0'].includes(parsed.hostname))
    parsed.hostname = 'host.docker.internal';
  return parsed.toString().replace(/\/$/, '');
}

/**
 * The env-vars content for every function of the template; only variables the template declares are set (SAM ignores
 * others).
 */
export function samEnvVars(template: Template, options: SamEnvOptions): SamEnvVars {
  const local: Record<string, string> = {
    TABLE_NAME: options.tableName,
    DYNAMODB_ENDPOINT: options.dynamodbEndpoint,
    JWKS_URL: options.jwksUrl,
    JWT_ISSUER: options.issuer ?? LOCAL_DEFAULTS.JWT_ISSUER,
    JWT_AUDIENCE: LOCAL_DEFAULTS.JWT_AUDIENCE,
    JWT_USER_CLAIM: 'sub',
    // Empty is unset: no usage plans to keep in step under SAM.
    REST_API_ID: '',
    API_STAGE: '',
  };
  const result: SamEnvVars = {};
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const declared = Object.keys(resource.Properties?.Environment?.Variables ?? {});
    // The CDK library's own functions (the console's deployer) are not the service's.
    if (!declared.includes('TABLE_NAME')) continue;
    const values = Object.fromEntries(declared.filter((name) => name in local).map((name) => [name, local[name]!]));
    const missing = Object.keys(local).filter((name) => !declared.includes(name));
    if (missing.length > 0) {
      throw new Error(
        `Function ${logicalId} does not declare ${missing.join(', ')}: SAM could not set them. Synthesize again.`,
      );
    }
    result[logicalId] = values;
  }
  if (Object.keys(result).length === 0) throw new Error('The template has no Lambda functions');
  return result;
}

/** The npm start of this folder to point SAM at: the only one running, or else the one that keeps its data. */
function runningLocal() {
  const servers = runningServers();
  return servers.length === 1 ? servers[0] : servers.find((server) => server.keepsData);
}

/** A path as the user would type it here: relative below the working directory, else absolute. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : resolve(path);
}

function main(): number {
  const values = commandLine(usage, {
    template: { type: 'string', default: resolve(PROJECT_ROOT, 'cdk.out', `${DEFAULT_STACK}.template.json`) },
    out: { type: 'string', default: resolve(LOCAL_DIR, 'sam-env.json') },
    'dynamodb-endpoint': { type: 'string' },
    'jwks-url': { type: 'string' },
    table: { type: 'string' },
  });
  if (typeof values === 'number') return values;
  if (!existsSync(values.template)) {
    console.error(`No template at ${values.template}: run \`npm run synth\` first.`);
    return 1;
  }
  const running = runningLocal();
  const options: SamEnvOptions = {
    dynamodbEndpoint: fromContainer(
      values['dynamodb-endpoint'] ?? running?.dynamodbEndpoint ?? 'http://127.0.0.1:8000',
    ),
    jwksUrl: fromContainer(
      values['jwks-url'] ?? (running?.issuer ? `${running.issuer}/jwks` : LOCAL_DEFAULTS.JWKS_URL),
    ),
    tableName: values.table ?? running?.tableName ?? LOCAL_DEFAULTS.TABLE_NAME,
    ...(running?.issuer ? { issuer: running.issuer } : {}),
  };
  const template = JSON.parse(readFileSync(values.template, 'utf8')) as Template;
  const vars = samEnvVars(template, options);
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(vars, null, 2)}\n`);
  const wiring = `DynamoDB ${options.dynamodbEndpoint}, table ${options.tableName}, JWKS ${options.jwksUrl}`;
  console.log(`Wrote ${shown(values.out)} for ${Object.keys(vars).length} functions (${wiring}).
Then: sam local start-api -t ${shown(values.template)} --env-vars ${shown(values.out)} --port 3001`);
  return 0;
}

// Run as a script, not when a test imports `samEnvVars`.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main();
}
