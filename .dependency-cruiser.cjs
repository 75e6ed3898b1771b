/**
 * Dependency direction, checked in CI (npm run lint):
 *  - no cycles;
 *  - runtime/ imports nothing from actors/, api/, ui/, cli/, simulator/;
 *  - actors/ imports only runtime/ and its own pure helpers;
 *  - ui/ imports from the server only the shared contract (types);
 *  - nothing imports cli/ (the composition root) except cli/ itself.
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'runtime-is-generic',
      severity: 'error',
      from: { path: '^runtime/' },
      to: { path: '^(actors|api|ui|cli|simulator)/' },
    },
    {
      name: 'actors-only-runtime',
      severity: 'error',
      from: { path: '^actors/' },
      to: { path: '^(api|ui|cli|simulator)/' },
    },
    {
      name: 'ui-only-contract',
      severity: 'error',
      from: { path: '^ui/' },
      to: { path: '^(api|runtime|actors|cli|simulator)/', pathNot: '^api/contract\\.ts$' },
    },
    {
      name: 'cli-is-the-root',
      severity: 'error',
      from: { path: '^(api|runtime|actors|simulator|ui)/', pathNot: '\\.test\\.ts$' },
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
