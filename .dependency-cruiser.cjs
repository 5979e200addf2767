/**
 * The layering rules (README "Layout"), checked by `npm test` (scripts/test.sh, `npx depcruise`).
 * Data flows one way: core/ is the floor and imports nothing above it; functions/ and gpu-worker/
 * meet only through core/; no module imports itself back through a cycle. Type-only imports
 * count: a type that crosses a layer is a contract in the wrong home.
 */

/** The layers above core/. */
const ABOVE_CORE = '^(functions|gpu-worker|cli|web|infra)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-upward',
      severity: 'error',
      comment: 'core/ is the floor: it imports nothing from functions/, gpu-worker/, cli/, web/ or infra/.',
      from: { path: '^core/' },
      to: { path: ABOVE_CORE },
    },
    {
      name: 'functions-import-worker',
      severity: 'error',
      comment: 'functions/ and gpu-worker/ never import each other; what they share lives in core/.',
      from: { path: '^functions/' },
      to: { path: '^gpu-worker/' },
    },
    {
      name: 'worker-imports-functions',
      severity: 'error',
      comment: 'functions/ and gpu-worker/ never import each other; what they share lives in core/.',
      from: { path: '^gpu-worker/' },
      to: { path: '^functions/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycle anywhere: a cycle makes two modules one without saying so.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript API for dependency-cruiser to parse with; swc parses the
    // sources (type-only imports included) instead.
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.sst|dist|coverage|bench/results|web/dist)/' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
    },
  },
};
