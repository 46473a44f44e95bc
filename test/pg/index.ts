// Public API of the PostgreSQL test harness. See docs/testing.md.
export { ensurePostgres, findPostgres, PG_BIN_ENV, type PostgresBinaries, requirePostgres } from './binaries.js';
export { type PostgresServer, type StartPostgresOptions, startPostgres } from './server.js';
export { sharedPostgres } from './shared.js';
