/**
 * The dependency rules `npm run lint` enforces (dependency-cruiser). CONTRIBUTING.md says
 * why each exists.
 *
 * shared/ is layered, lowest first. A folder may import its own files and any folder of a
 * lower layer; never a folder of a higher layer, nor (unless listed together below) a
 * folder of its own layer. An import that points up fails `npm run lint`.
 */
const LAYERS = [
  ['kernel'], // the domain's types, errors, ids, configuration, the ports every feature shares
  ['dynamodb', 'http'], // the table's client, keys and expressions; HTTP parsing, problems, observability
  ['auth'], // who is calling: credentials, JWTs, the authorizer
  ['middleware'], // the Middy stacks every endpoint runs
  ['lifecycle'], // expiry notices and unused-token suspension (the token item carries its schedule)
  ['tokens'], // the token aggregate: use cases, endpoints, ports, DynamoDB adapter
  ['audit', 'scanning', 'federation'], // features built on tokens
  ['directory', 'ratelimit'], // the import (replaces tokens and policies) and the rate limiter (keys of tokens and policies)
  ['runtime'], // the composition root: builds every adapter; imported only by entry points
];

const folders = (names) => `^shared/(${names.join('|')})/`;

const layerRules = LAYERS.flatMap((layer, index) => {
  const above = LAYERS.slice(index + 1).flat();
  const rules = [];
  if (above.length > 0) {
    rules.push({
      name: `layers: ${layer.join(', ')} import nothing above`,
      comment: `${layer.join(', ')} may not import ${above.join(', ')}: layers point down.`,
      severity: 'error',
      from: { path: folders(layer) },
      to: { path: folders(above) },
    });
  }
  for (const folder of layer) {
    const siblings = layer.filter((other) => other !== folder);
    if (siblings.length === 0) continue;
    rules.push({
      name: `layers: ${folder} imports no sibling`,
      comment: `${folder} and ${siblings.join(', ')} are independent features (or parts) of one layer.`,
      severity: 'error',
      from: { path: `^shared/${folder}/` },
      to: { path: folders(siblings) },
    });
  }
  return rules;
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'shared is a library',
      comment: 'shared/ is what Lambdas bundle: it imports no entry point, infrastructure, script, benchmark or test.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(functions|infra|scripts|bench|test|console)/' },
    },
    {
      name: 'the composition root is for entry points',
      comment: 'Only entry points (functions/, the local runtime, scripts, the benchmark, tests) build the runtime.',
      severity: 'error',
      from: { path: '^(shared|infra/cdk|console)/', pathNot: '^shared/runtime/' },
      to: { path: '^shared/runtime/' },
    },
    {
      name: 'the files loaded on first use are imported beside them',
      comment:
        'Bundles keep ./api-gateway.mjs, ./sqs.mjs, ./jwt-verifier.mjs and ./credential-chain.mjs external and ship ' +
        'them beside index.mjs (SDK_MODULES in infra/cdk/bundling.ts): only files in their folder may import them.',
      severity: 'error',
      // $1, the importer's folder, is never the imported file's.
      from: { path: '^((?:shared/[^/]+)|functions|infra)/' },
      to: {
        path: '^shared/(ratelimit/(api-gateway|sqs)|runtime/(jwt-verifier|credential-chain))\\.mts$',
        pathNot: '^$1/',
      },
    },
    {
      name: 'the console is its own app',
      comment:
        'The console talks to the API over HTTP (its client is generated from the contract); it shares only its ' +
        'settings, and the rate tiers (a table without imports) so its Max RPS editor says the enforced rate as typed.',
      severity: 'error',
      from: { path: '^console/' },
      to: {
        path: '^(shared|functions|infra|scripts|bench|test)/',
        pathNot: '^(infra/console-settings|shared/kernel/rate-tiers)\\.ts$',
      },
    },
    {
      name: 'no-circular',
      comment: 'Files that import each other cannot be read, tested or moved one at a time.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      comment: 'A source file that nothing imports and nothing runs is dead code.',
      severity: 'error',
      from: {
        orphan: true,
        pathNot: [
          '^(functions|scripts|test)/',
          '\\.d\\.ts$',
          '^infra/cdk/app\\.ts$',
          '^infra/local/(start|dev-token|directory-cli|lifecycle-cli|console-build)\\.ts$',
          '^bench/(run|report)\\.ts$',
          '^console/vite\\.config\\.ts$',
        ],
      },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing fails at run time.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no dev dependency at run time',
      comment: 'What a Lambda bundles must be a runtime dependency: a devDependency is not part of the service.',
      severity: 'error',
      from: { path: '^(shared|functions)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: ['^cdk\\.out/', '^coverage/', '^console/dist/', '^\\.local/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.mts', '.mjs', '.js'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    moduleSystems: ['es6', 'cjs'],
  },
};
