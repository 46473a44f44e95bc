// One PostgreSQL server per test process, started the first time a test asks. Unlike the Kafka broker,
// `npm test` does not start one for the whole run: a server starts in about a second, and a test file
// that owns its server cannot be disturbed by another's. Tests that stop or kill the server start their
// own with startPostgres().
import { type PostgresServer, startPostgres } from './server.js';

let own: Promise<PostgresServer> | undefined;

/**
 * This process's server. Tests must treat it as shared: their own databases, schemas or tables
 * (uniqueName), and never stop it.
 */
export function sharedPostgres(): Promise<PostgresServer> {
  own ??= startPostgres().then((server) => {
    // The watchdog would clean up anyway when this process exits; closing here just makes it orderly.
    process.once('beforeExit', () => void server.close());
    return server;
  });
  return own;
}
