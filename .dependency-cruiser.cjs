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
/** One forbidden arrow: files matching `from` may not import files matching `to`. */
const forbid = (name, from, to) => ({ name, severity: 'error', from, to });

/** The rooms of the house; a rule below names the ones a room may not import. */
const ROOMS = ['core', 'runtime', 'actors', 'db', 'ops', 'api', 'ui', 'cli', 'simulator'];
const roomsBut = (...allowed) => `^(${ROOMS.filter((r) => !allowed.includes(r)).join('|')})/`;
/** The runtime's part of the composition root: what `ems runtime` loads up front. */
const RUNTIME_ROOT = '^cli/(main|processes|drivers|listen|config|logger|roles)\\.ts$';

module.exports = {
  forbidden: [
    forbid('no-circular', {}, { circular: true }),
    forbid('core-is-pure', { path: '^core/' }, { path: roomsBut('core') }),
    forbid('runtime-is-generic', { path: '^runtime/' }, { path: roomsBut('runtime') }),
    forbid(
      'actors-only-runtime-and-core',
      { path: '^actors/' },
      { path: roomsBut('actors', 'runtime', 'core') },
    ),
    forbid(
      'db-only-core-and-store-interface',
      { path: '^db/', pathNot: '\\.test\\.ts$' },
      { path: roomsBut('db', 'core'), pathNot: '^actors/store\\.ts$' },
    ),
    forbid('ops-only-core-and-db', { path: '^ops/' }, { path: roomsBut('ops', 'core', 'db') }),
    forbid(
      'api-never-imported-by-lower-rooms',
      { path: '^(core|runtime|actors|db|ops)/' },
      { path: '^api/' },
    ),
    // ems runtime: processes.ts and its static imports never load api/ (type imports are erased).
    forbid(
      'runtime-process-loads-no-api',
      { path: RUNTIME_ROOT },
      { path: '^api/', dependencyTypesNot: ['type-only'] },
    ),
    forbid(
      'runtime-process-loads-api-role-lazily',
      { path: RUNTIME_ROOT },
      {
        path: '^cli/(api-role|bootstrap|demo|build-ui)\\.ts$',
        dependencyTypesNot: ['dynamic-import', 'type-only'],
      },
    ),
    forbid(
      'ui-only-contract-and-core',
      { path: '^ui/' },
      { path: roomsBut('ui', 'core', 'api'), pathNot: '^api/contract\\.ts$' },
    ),
    forbid(
      'ui-only-the-contract-of-api',
      { path: '^ui/' },
      { path: '^api/', pathNot: '^api/contract\\.ts$' },
    ),
    forbid('cli-is-the-root', { path: roomsBut('cli'), pathNot: '\\.test\\.ts$' }, { path: '^cli/' }),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(node_modules|ui/dist)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.vue'] },
  },
};
