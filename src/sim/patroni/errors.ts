// Errors the agent handles the way Patroni does (they are part of the modelled world), as opposed
// to bugs in the simulator, which must surface.
import { DCSError } from '../dcs/abstract.js';
import { NetError, RemoteError } from '../net/network.js';
import { PgConnectionError } from '../pg/api.js';

/** `patroni/exceptions.py PostgresConnectionException` */
export class PostgresConnectionException extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresConnectionException';
  }
}

/** `patroni/exceptions.py PatroniFatalException`: Patroni exits (sys.exit / raise). */
export class PatroniFatalException extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatroniFatalException';
  }
}

/** An error a real Patroni would catch and log (connectivity to the DCS, PostgreSQL or a peer). */
export function isModelledError(e: unknown): boolean {
  return (
    e instanceof DCSError ||
    e instanceof PgConnectionError ||
    e instanceof PostgresConnectionException ||
    e instanceof NetError ||
    e instanceof RemoteError
  );
}
