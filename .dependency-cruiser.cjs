/**
 * The dependency rules `npm run lint` enforces (dependency-cruiser). Why each rule
 * exists is written in CONTRIBUTING.md.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Files that import each other cannot be read, tested or moved one at a time.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      comment: 'A source file nothing imports and nothing runs is dead code.',
      severity: 'error',
      from: {
        orphan: true,
        pathNot: [
          '^(functions|scripts|test)/',
          '\\.d\\.ts$',
          '^infra/(cdk/app|local/[a-z-]+-cli|local/start|local/dev-token|local/console-build)\\.ts$',
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
      name: 'not-to-dev-dep-from-runtime',
      comment: 'What a Lambda bundles must be a runtime dependency: a devDependency is not installed in production.',
      severity: 'error',
      from: { path: '^(shared|functions)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: ['node_modules/@types/'] },
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
