// Patroni's REST API as a network service (`patroni/api.py RestApiHandler`). Routers (HAProxy
// health checks), peers (`fetch_nodes_statuses` in the leader race, `POST /failsafe`) and
// patronictl all reach a node through this one service. The agent serves it; this file is the
// contract, so a model can call it without depending on the agent's implementation.
import { service } from '../net/network.js';

export type RestMethod = 'GET' | 'HEAD' | 'OPTIONS' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RestRequest {
  method: RestMethod;
  /** Path without query, e.g. "/primary", "/patroni", "/failsafe", "/switchover". */
  path: string;
  /** Query parameters, e.g. { lag: "1MB" } for "/replica?lag=1MB". */
  query?: Record<string, string>;
  body?: unknown;
}

export interface RestResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The REST API of a Patroni node. HTTP semantics: 200 healthy, 503 not, 4xx refused requests. */
export const PatroniRest = service<RestRequest, RestResponse>('patroni.rest');

/**
 * The status document of GET /patroni (and the body of the health endpoints), after
 * `patroni/api.py RestApiHandler.get_postgresql_status`. Positions are byte LSNs.
 */
export interface PatroniStatus {
  state: string;
  role: 'primary' | 'replica' | 'standby_leader' | 'demoted' | 'uninitialized' | string;
  /** Primary: { location }; replica: { received_location, replayed_location, paused }. */
  xlog?: { location?: number; received_location?: number; replayed_location?: number; paused?: boolean };
  timeline?: number;
  replication_state?: string;
  dcs_last_seen?: number;
  database_system_identifier?: string;
  patroni: { version: string; scope: string; name: string };
  tags?: Record<string, unknown>;
  pause?: boolean;
  pending_restart?: boolean;
  sync_standby?: boolean;
  quorum_standby?: boolean;
  cluster_unlocked?: boolean;
  failsafe_mode_is_active?: boolean;
  watchdog_failed?: boolean;
}

/** The client-side timeout Patroni uses for peer status checks (`Ha.fetch_node_status`): 2 s. */
export const PEER_STATUS_TIMEOUT_MS = 2000;
