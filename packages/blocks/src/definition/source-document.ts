// Reads a definition from YAML or JSON text and keeps a way back from a path in the parsed value to
// the line and column of the node in the text (the `yaml` library's document API: `parseDocument`,
// `LineCounter`, node ranges). JSON text is parsed with `JSON.parse` for exact JSON semantics; its
// positions come from reading the same text as YAML (JSON is YAML's flow style), so they are
// best-effort for exotic JSON (e.g. very long keys), and exact otherwise.
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { IssuePath, RawIssue } from './definition-issue.ts';

/** A 1-based line and column. */
export type SourcePosition = { line: number; column: number };

/** Text formats a definition can come in. */
export type DefinitionFormat = 'yaml' | 'json';

/** A parsed definition text. */
export type SourceDocument = {
  /** The parsed value (plain objects, arrays and scalars). */
  value: unknown;
  /** The format that was read. */
  format: DefinitionFormat;
  /** Position of the node at `path` (or of its nearest existing parent); `key` asks for the key of a mapping entry. */
  locate(path: IssuePath, options?: { key?: boolean }): SourcePosition | undefined;
  /** Warnings of the YAML reader (never for JSON). */
  warnings: RawIssueWithPosition[];
};

/** A problem with its position already known (syntax errors). */
export type RawIssueWithPosition = RawIssue & { position?: SourcePosition };

/** The result of reading text: the document, or the syntax errors that stopped it. */
export type SourceReadResult = { ok: true; document: SourceDocument } | { ok: false; syntaxErrors: RawIssueWithPosition[] };

function findPair(node: unknown, segment: string | number): { key: unknown; value: unknown } | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((pair) => (isScalar(pair.key) ? String(pair.key.value) : String(pair.key)) === String(segment));
}

function positionOf(node: unknown, lineCounter: LineCounter): SourcePosition | undefined {
  const range = (node as { range?: [number, number, number] | null } | null)?.range;
  if (!range) return undefined;
  const { line, col } = lineCounter.linePos(range[0]);
  return { line, column: col };
}

function makeLocator(document: Document | undefined, lineCounter: LineCounter): SourceDocument['locate'] {
  return (path, options = {}) => {
    if (document === undefined) return undefined;
    let node: unknown = document.contents;
    let keyNode: unknown;
    for (const segment of path) {
      if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) break;
        node = item;
        keyNode = undefined;
        continue;
      }
      const pair = findPair(node, segment);
      if (pair === undefined) break;
      keyNode = pair.key;
      // `key:` with no value node: point at the key.
      node = pair.value ?? pair.key;
    }
    if (options.key === true && keyNode !== undefined) return positionOf(keyNode, lineCounter) ?? positionOf(node, lineCounter);
    return positionOf(node, lineCounter);
  };
}

function readYamlDocument(text: string): { document: Document; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  return { document, lineCounter };
}

function jsonSyntaxError(text: string, error: unknown, lineCounter: LineCounter): RawIssueWithPosition {
  const message = error instanceof Error ? error.message : String(error);
  const offset = /position (\d+)/.exec(message)?.[1];
  let position: SourcePosition | undefined;
  if (offset !== undefined) {
    const { line, col } = lineCounter.linePos(Math.min(Number(offset), text.length));
    position = { line, column: col };
  } else if (/end of (JSON )?input/i.test(message)) {
    const { line, col } = lineCounter.linePos(text.length);
    position = { line, column: col };
  }
  const clean = message.replace(/^JSON\.parse: /, '').replace(/ in JSON at position \d+.*$/s, '');
  return { path: [], message: `JSON syntax error: ${clean}`, ...(position === undefined ? {} : { position }) };
}

/**
 * Parses definition text. With no `format`, text starting with `{` is read as JSON when it is valid
 * JSON, everything else as YAML.
 */
export function readSourceDocument(text: string, format?: DefinitionFormat): SourceReadResult {
  const looksLikeJson = /^\s*[{[]/.test(text);
  if (format === 'json' || (format === undefined && looksLikeJson)) {
    let value: unknown;
    let parsed = false;
    let failure: unknown;
    try {
      value = JSON.parse(text);
      parsed = true;
    } catch (error) {
      failure = error;
    }
    if (parsed || format === 'json') {
      const { document, lineCounter } = readYamlDocument(text);
      if (!parsed) return { ok: false, syntaxErrors: [jsonSyntaxError(text, failure, lineCounter)] };
      const usable = document.errors.length === 0 ? document : undefined;
      return { ok: true, document: { value, format: 'json', locate: makeLocator(usable, lineCounter), warnings: [] } };
    }
  }
  const { document, lineCounter } = readYamlDocument(text);
  const toIssue = (error: { message: string; pos: [number, number] }): RawIssueWithPosition => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    return { path: [], message: `YAML: ${error.message}`, position: { line, column: col } };
  };
  if (document.errors.length > 0) return { ok: false, syntaxErrors: document.errors.map(toIssue) };
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, syntaxErrors: [{ path: [], message: `YAML: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  const warnings = document.warnings.map((warning) => ({ ...toIssue(warning), code: 'yaml' as const }));
  return { ok: true, document: { value, format: 'yaml', locate: makeLocator(document, lineCounter), warnings } };
}
