// Reads a definition from YAML or JSON text and keeps a way back from a path in the parsed value to
// the line and column of the node in the text. YAML: the `yaml` library's document API
// (`parseDocument`, `LineCounter`, node ranges). JSON: the value comes from `JSON.parse` (exact JSON
// semantics), positions and syntax errors from Microsoft's `jsonc-parser` syntax tree.
import { findNodeAtLocation, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node as JsonNode, ParseError } from 'jsonc-parser';
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

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) starts.push(index + 1);
  return starts;
}

function offsetToPosition(starts: readonly number[], offset: number): SourcePosition {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if ((starts[middle] as number) <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, column: offset - (starts[low] as number) + 1 };
}

/** "CloseBraceExpected" → "close brace expected". */
function describeJsonError(error: ParseError): string {
  return printParseErrorCode(error.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

function readJson(text: string): SourceReadResult {
  const starts = lineStarts(text);
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0 || tree === undefined) {
    const syntaxErrors = errors.map((error) => ({ path: [], message: `JSON syntax error: ${describeJsonError(error)}`, position: offsetToPosition(starts, error.offset) }));
    return { ok: false, syntaxErrors: syntaxErrors.length > 0 ? syntaxErrors : [{ path: [], message: 'JSON syntax error: the text is empty' }] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, syntaxErrors: [{ path: [], message: `JSON syntax error: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  const locate: SourceDocument['locate'] = (path, options = {}) => {
    // The deepest node that exists on the path (a missing field points at its parent).
    let node: JsonNode | undefined;
    for (let length = path.length; length >= 0 && node === undefined; length -= 1) node = findNodeAtLocation(tree, path.slice(0, length));
    if (node === undefined) return undefined;
    const found = node;
    const keyNode = options.key === true && found.parent?.type === 'property' ? found.parent.children?.[0] : undefined;
    return offsetToPosition(starts, (keyNode ?? found).offset);
  };
  return { ok: true, document: { value, format: 'json', locate, warnings: [] } };
}

/**
 * Parses definition text. With no `format`, text that starts like a JSON object (`{"`) or array is
 * read as JSON, everything else as YAML (a YAML flow mapping such as `{title: x}` stays YAML).
 */
export function readSourceDocument(text: string, format?: DefinitionFormat): SourceReadResult {
  if (format === 'json' || (format === undefined && /^\s*(\{\s*"|\[)/.test(text))) return readJson(text);
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
