/**
 * Dependency direction, checked in CI (npm run lint). One rule per arrow of
 * the house (README, Layout):
 *
 *   core/     pure, shared by everyone (zone math, room names, pushed event shapes): imports nothing of ours
 *   runtime/  the generic actor runtime: imports nothing of ours
 *   actors/   the device actor: imports runtime/, core/ and its own modules (the store *interface* is actors/store.ts)
 *   db/       storage both process kinds share: imports core/ and actors/store.ts (the interface it implements)
 *   ops/      health, readiness and metrics endpoints both process kinds serve: imports core/ and db/
 *   api/      HTTP, auth, sockets: imports anything but cli/ (and is never imported by runtime/, actors/, db/)
 *   ui/       the dashboard: imports api/contract.ts (types), core/ and nothing else of the server
 *   cli/      the composition root: nothing imports it
 *
 * No cycles anywhere. The runtime's part of the composition root
 * (cli/processes.ts and what it loads up front) imports no api/ module; the api
 * role (cli/api-role.ts) is imported dynamically, only by processes that serve
 * the api. So `ems runtime` loads no api/ module.
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'core-is-pure',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^(runtime|actors|db|ops|api|ui|cli|simulator)/' },
    },
    {
      name: 'runtime-is-generic',
      severity: 'error',
      from: { path: '^runtime/' },
      to: { path: '^(core|actors|db|ops|api|ui|cli|simulator)/' },
    },
    {
      name: 'actors-only-runtime-and-core',
      severity: 'error',
      from: { path: '^actors/' },
      to: { path: '^(db|ops|api|ui|cli|simulator)/' },
    },
    {
      name: 'db-only-core-and-store-interface',
      severity: 'error',
      from: { path: '^db/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(runtime|actors|ops|api|ui|cli|simulator)/', pathNot: '^actors/store\\.ts$' },
    },
    {
      name: 'ops-only-core-and-db',
      severity: 'error',
      from: { path: '^ops/' },
      to: { path: '^(runtime|actors|api|ui|cli|simulator)/' },
    },
    {
      name: 'api-never-imported-by-lower-rooms',
      severity: 'error',
      from: { path: '^(core|runtime|actors|db|ops)/' },
      to: { path: '^api/' },
    },
    {
      name: 'runtime-process-loads-no-api',
      comment: 'ems runtime: processes.ts and its static imports never load api/ (types are erased)',
      severity: 'error',
      from: { path: '^cli/(main|processes|drivers|listen|config|logger)\\.ts$' },
      to: { path: '^api/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'runtime-process-loads-api-role-lazily',
      severity: 'error',
      from: { path: '^cli/(main|processes|drivers|listen|config|logger)\\.ts$' },
      to: {
        path: '^cli/(api-role|bootstrap|demo|build-ui)\\.ts$',
        dependencyTypesNot: ['dynamic-import', 'type-only'],
      },
    },
    {
      name: 'ui-only-contract-and-core',
      severity: 'error',
      from: { path: '^ui/' },
      to: { path: '^(api|runtime|actors|db|ops|cli|simulator)/', pathNot: '^api/contract\\.ts$' },
    },
    {
      name: 'cli-is-the-root',
      severity: 'error',
      from: { path: '^(core|api|runtime|actors|db|ops|simulator|ui)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(node_modules|ui/dist)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.vue'] },
  },
};
