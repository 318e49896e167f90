// Zod issues → positioned diagnostics with plain messages. An unknown key gets the nearest allowed
// key at that path as a suggestion; to know the allowed keys, the schema is walked along the
// path with the document's data (choosing union branches the way the data does).
import type { z } from 'zod';
import { MISSING } from './schema/common.js';
import { diagnostic, type Diagnostic, type Path } from './errors.js';
import type { SourceDoc } from './source.js';
import { didYouMean } from './suggest.js';
import { describeValue } from './units.js';

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

/**
 * Schemas that dispatch on the data in a transform (the walker cannot see through it): for a
 * value, the schema that really applies and any extra keys the transform itself accepts.
 */
const dispatchers = new WeakMap<object, (data: unknown) => { schema: AnySchema; extraKeys: readonly string[] } | undefined>();

/** Tell the suggestion walker which schema `schema` applies to a given value. */
export function provideSchema(schema: AnySchema, pick: (data: unknown) => { schema: AnySchema; extraKeys: readonly string[] } | undefined): void {
  dispatchers.set(schema, pick);
}

interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
  items?: AnySchema[];
  options?: AnySchema[];
  discriminator?: string;
  values?: unknown[];
}

const defOf = (s: AnySchema): Def => s._zod.def as unknown as Def;

/** Strip wrappers until a container (object, array, record, tuple, chosen union branch). */
function unwrap(s: AnySchema, data: unknown): { schema: AnySchema; extraKeys: readonly string[] } {
  let extraKeys: readonly string[] = [];
  for (let guard = 0; guard < 50; guard++) {
    const dispatch = dispatchers.get(s);
    if (dispatch) {
      const picked = dispatch(data);
      if (!picked) return { schema: s, extraKeys };
      s = picked.schema;
      extraKeys = [...extraKeys, ...picked.extraKeys];
      continue;
    }
    const d = defOf(s);
    switch (d.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'catch':
      case 'nonoptional':
        s = d.innerType as AnySchema;
        continue;
      case 'pipe': {
        const inType = defOf(d.in as AnySchema).type;
        s = (inType === 'transform' || inType === 'unknown' ? d.out : d.in) as AnySchema;
        continue;
      }
      case 'union': {
        const options = d.options ?? [];
        let pick: AnySchema | undefined;
        if (d.discriminator !== undefined && data !== null && typeof data === 'object') {
          const want = (data as Record<string, unknown>)[d.discriminator];
          pick = options.find((o) => {
            const disc = defOf(o).shape?.[d.discriminator as string];
            return disc !== undefined && (defOf(disc).values ?? []).includes(want);
          });
        }
        if (pick === undefined) {
          const isObj = data !== null && typeof data === 'object' && !Array.isArray(data);
          pick = options.find((o) => {
            const t = defOf(unwrap(o, data).schema).type;
            return isObj ? t === 'object' : Array.isArray(data) ? t === 'array' : false;
          });
        }
        if (pick === undefined) return { schema: s, extraKeys };
        s = pick;
        continue;
      }
      default:
        return { schema: s, extraKeys };
    }
  }
  return { schema: s, extraKeys };
}

/** The keys allowed in the map at `path`, or undefined if the schema does not say. */
export function allowedKeysAt(root: AnySchema, data: unknown, path: Path): readonly string[] | undefined {
  let s: AnySchema = root;
  let d: unknown = data;
  for (const seg of path) {
    const u = unwrap(s, d);
    const def = defOf(u.schema);
    let next: AnySchema | undefined;
    if (def.type === 'object') next = def.shape?.[String(seg)];
    else if (def.type === 'array') next = def.element;
    else if (def.type === 'record') next = def.valueType;
    else if (def.type === 'tuple' && typeof seg === 'number') next = def.items?.[seg];
    if (next === undefined) return undefined;
    s = next;
    d = d !== null && typeof d === 'object' ? (d as Record<string | number, unknown>)[seg] : undefined;
  }
  const u = unwrap(s, d);
  const def = defOf(u.schema);
  return def.type === 'object' ? [...u.extraKeys, ...Object.keys(def.shape ?? {})] : undefined;
}

function dataAt(data: unknown, path: Path): unknown {
  let d = data;
  for (const seg of path) {
    if (d === null || typeof d !== 'object') return undefined;
    d = (d as Record<string | number, unknown>)[seg];
  }
  return d;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  tuple: 'a list',
  record: 'a map',
};

/** Convert zod issues to diagnostics located in `src`. */
export function issuesToDiagnostics(issues: readonly Issue[], src: SourceDoc, schema: AnySchema, prefix: Path = []): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (rawPath: Path, message: string, what: 'key' | 'value' = 'value'): void => {
    const path = src.normalize(rawPath);
    out.push(diagnostic(src.file, src.locate(path, what), path, message));
  };
  const missing = (path: Path, extra = ''): void => {
    const parent = path.slice(0, -1);
    at(parent, `missing required key "${String(path[path.length - 1])}"${extra}`);
  };
  for (const issue of issues) {
    const schemaPath: Path = [...prefix, ...(issue.path as (string | number)[])];
    const path = src.normalize(schemaPath);
    const value = dataAt(src.data, path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = allowedKeysAt(schema, src.data, schemaPath) ?? [];
        // Prefer the keys the map lacks: `of` next to an `on` means `off`.
        const present = value !== null && typeof value === 'object' ? Object.keys(value) : [];
        const absent = allowed.filter((k) => !present.includes(k));
        for (const key of issue.keys) {
          const hint = didYouMean(key, absent) || didYouMean(key, allowed) || hintForMisplaced(key, path);
          at([...path, key], `unknown key${hint}`, 'key');
        }
        break;
      }
      case 'invalid_type':
        if (value === undefined) missing(path);
        else at(path, `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, got ${describeValue(value)}`);
        break;
      case 'invalid_union': {
        const disc = (issue as { discriminator?: string }).discriminator;
        if (disc !== undefined) {
          const options = ((issue as { options?: unknown[] }).options ?? []).map(String).filter((o) => !o.startsWith('$'));
          const what = options.includes('isolate') ? 'fault kind' : options.includes('haproxy') ? 'router kind' : 'kind';
          const kindPath = path[path.length - 1] === disc ? path : [...path, disc];
          const kind = dataAt(src.data, kindPath);
          if (kind === undefined) missing(kindPath, ` (one of ${options.join(', ')})`);
          else {
            const hint = typeof kind === 'string' ? didYouMean(kind, options) : '';
            at(kindPath, `unknown ${what} ${typeof kind === 'string' ? `"${kind}"` : describeValue(kind)}${hint || `; expected one of ${options.join(', ')}`}`);
          }
          break;
        }
        const branches = (issue as { errors?: Issue[][] }).errors ?? [];
        const best = pickBranch(branches);
        if (best) out.push(...issuesToDiagnostics(best, src, schema, schemaPath));
        else at(path, `unexpected ${describeValue(value)}`);
        break;
      }
      case 'invalid_value': {
        const values = (issue.values ?? []).map(String);
        const hint = typeof value === 'string' ? didYouMean(value, values) : '';
        at(path, `${typeof value === 'string' ? `"${value}"` : describeValue(value)} is not allowed; expected ${values.length === 1 ? values[0] : `one of ${values.join(', ')}`}${hint}`);
        break;
      }
      case 'too_small':
      case 'too_big': {
        const custom = !/^Too (small|big)/.test(issue.message);
        if (custom) at(path, issue.message);
        else if (issue.origin === 'array') {
          at(path, issue.code === 'too_small' ? `needs at least ${String(issue.minimum)} item(s)` : `allows at most ${String(issue.maximum)} item(s)`);
        } else at(path, issue.code === 'too_small' ? `must be at least ${String(issue.minimum)}` : `must be at most ${String(issue.maximum)}`);
        break;
      }
      case 'custom':
        if (issue.message === MISSING) missing(path);
        else at(path, issue.message, /^unknown (key|expectation)/.test(issue.message) ? 'key' : 'value');
        break;
      default:
        at(path, issue.message);
    }
  }
  return out;
}

/** Of a union's failed branches, the one the data was evidently meant for: no type error at its root, fewest issues. */
function pickBranch(branches: readonly Issue[][]): Issue[] | undefined {
  const scored = branches
    .map((b) => ({ b, rootTypeError: b.some((i) => i.path.length === 0 && i.code === 'invalid_type') }))
    .sort((x, y) => Number(x.rootTypeError) - Number(y.rootTypeError) || x.b.length - y.b.length);
  return scored[0]?.b;
}

/** Hints for keys people put in the wrong section. */
function hintForMisplaced(key: string, path: Path): string {
  const top = path[0];
  if (top === 'patroni' && ['etcd', 'etcd3', 'zookeeper', 'consul', 'kubernetes', 'raft', 'exhibitor'].includes(key)) {
    return '; the store is described under "dcs:" (backend, members, options)';
  }
  if (top === 'patroni' && key === 'bootstrap') return '; paste the contents of bootstrap.dcs directly under "patroni:"';
  if (top === 'patroni' && (key === 'restapi' || key === 'log' || key === 'ctl' || key === 'name')) return `; "${key}" is not modelled (node names come from "patroni.nodes")`;
  if (path.length === 0 && ['ttl', 'loop_wait', 'retry_timeout', 'synchronous_mode', 'nodes'].includes(key)) return `; did you mean "patroni.${key}"?`;
  return '';
}
