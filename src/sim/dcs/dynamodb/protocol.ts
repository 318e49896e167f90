// The DynamoDB API calls a careful engineer would have used for a Patroni backend: one table with
// partition key = the scope path and sort key = the Patroni key, so the whole cluster is one
// strongly consistent Query; conditional PutItem / UpdateItem / DeleteItem for everything else.
//
//   leader acquire:  PutItem    ConditionExpression "attribute_not_exists(holder) OR expires_at < :now"
//   leader renew:    UpdateItem ConditionExpression "holder = :me OR attribute_not_exists(holder)"
//   leader release:  DeleteItem ConditionExpression "holder = :me"
//   other keys:      PutItem with attribute_not_exists / attribute_exists / "version = :v"
//
// `:now` and `expires_at` are the *client's* wall clock (DynamoDB has no server-side notion of a
// lease: its TTL feature deletes expired items "typically within a few days"), so expiry is judged
// by writers' and readers' clocks.
import { service } from '../../net/network.js';
import type { PutCondition } from '../memory/kvDcs.js';

export interface DdbItem {
  value: string;
  version: number;
  /** Writer's wall clock (µs) at which the item stops counting, or null. */
  expiresAtWallUs: number | null;
}

export const DdbQuery = service<{ prefix: string }, { items: [string, DdbItem][] }>('dynamodb-query');
export const DdbPut = service<{ key: string; value: string; cond: PutCondition; expiresAtWallUs: number | null }, { version: number | false }>('dynamodb-put');
export const DdbDelete = service<{ key: string; cond: PutCondition }, { ok: boolean }>('dynamodb-delete');
export const DdbLease = service<
  { key: string; holder: string; nowWallUs: number; expiresAtWallUs: number; mode: 'acquire' | 'renew' | 'take' },
  { ok: boolean }
>('dynamodb-lease');
export const DdbRelease = service<{ key: string; holder: string }, { ok: boolean }>('dynamodb-release');
