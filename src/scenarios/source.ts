// A scenario file as parsed YAML that remembers where every key and value came from, so that any
// later complaint (schema, semantics, build) can name the file, line and column.
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { diagnostic, type Diagnostic, type Path } from './errors.js';

export interface SourcePos {
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

export class SourceDoc {
  /** The plain data (maps as objects, sequences as arrays). */
  readonly data: unknown;
  /** YAML syntax errors (fatal) and warnings. */
  readonly diagnostics: Diagnostic[] = [];

  private readonly doc: Document.Parsed;
  private readonly lines: LineCounter;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.lines = new LineCounter();
    // YAML 1.2 (the `yaml` default). Merge keys (`<<: *anchor`) are allowed so that scenario
    // libraries can share blocks. Patroni reads patroni.yml as YAML 1.1, where on/off/yes/no are
    // booleans: the schema accepts those spellings wherever Patroni expects a boolean.
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true, merge: true });
    for (const e of this.doc.errors) {
      const p = this.posOf(e.pos[0]);
      const msg = e.code === 'DUPLICATE_KEY' ? 'duplicate key (each key may appear once in a map)' : `YAML syntax error: ${firstLine(e.message)}`;
      this.diagnostics.push(diagnostic(file, p, [], msg));
    }
    for (const w of this.doc.warnings) {
      this.diagnostics.push(diagnostic(file, this.posOf(w.pos[0]), [], `YAML: ${firstLine(w.message)}`, 'warning'));
    }
    this.data = this.doc.errors.length === 0 ? this.doc.toJS({ maxAliasCount: 1000 }) : null;
  }

  get ok(): boolean {
    return this.doc.errors.length === 0;
  }

  /**
   * The path as written in the file: a shorthand that the schema widened from one map to a list
   * of one (`workload: {...}` read as `workload: [{...}]`) has no index 0 in the file, so that
   * index is dropped.
   */
  normalize(path: Path): Path {
    const out: (string | number)[] = [];
    let d: unknown = this.data;
    for (const seg of path) {
      if (seg === 0 && d !== null && typeof d === 'object' && !Array.isArray(d) && !('0' in d)) continue;
      out.push(seg);
      d = d !== null && typeof d === 'object' ? (d as Record<string | number, unknown>)[seg] : undefined;
    }
    return out;
  }

  posOf(offset: number): SourcePos {
    const lp = this.lines.linePos(offset);
    return { line: lp.line, col: lp.col };
  }

  /**
   * Where `path` is written. `key`: the key of the last segment (for unknown keys); `value`: its
   * value if that is a scalar, else the key that opens the collection. A path that does not exist
   * in the file (a default, a shorthand expanded by the schema) falls back to its deepest ancestor
   * that does.
   */
  locate(path: Path, what: 'key' | 'value' = 'value'): SourcePos {
    let node: unknown = this.doc.contents;
    let keyNode: Node | null = null;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      node = this.deref(node);
      let next: unknown = undefined;
      let nextKey: Node | null = null;
      if (isMap(node)) {
        for (const item of node.items) {
          if (!isPair(item)) continue;
          const k = item.key;
          const kv = isScalar(k) ? k.value : k;
          if (String(kv) === String(seg)) {
            next = item.value;
            nextKey = isScalar(k) ? k : null;
            break;
          }
        }
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
      }
      if (next === undefined && nextKey === null) return this.startOf(keyNode ?? node);
      if (i === path.length - 1 && what === 'key' && nextKey !== null) return this.startOf(nextKey);
      if (next === null || next === undefined) return this.startOf(nextKey ?? node);
      node = next;
      keyNode = nextKey;
    }
    node = this.deref(node);
    if (isScalar(node) || keyNode === null) return this.startOf(node);
    return this.startOf(keyNode);
  }

  private deref(node: unknown): unknown {
    if (isAlias(node)) return node.resolve(this.doc) ?? node;
    return node;
  }

  private startOf(node: unknown): SourcePos {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? this.posOf(range[0]) : { line: 1, col: 1 };
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
