// The Jinja engine of block workflows: `@huggingface/jinja` (a Jinja-syntax interpreter written in
// TypeScript) with Petrel's rules layered on through its public `Interpreter.evaluate` hook.
//
// Why this library: it never touches host objects. Context values are copied into its own value
// classes (maps, arrays, primitives), member access reads those maps and a fixed table of builtins,
// and there is no attribute walk into JavaScript objects, so `constructor`, `__proto__`, `process`
// and friends are plain undefined names. nunjucks, the other candidate, hands templates real
// JavaScript objects: `{{ range.constructor("return process")() }}` runs host code there.
//
// What this file adds on top: strict mode (an undefined variable or attribute is an error naming it),
// Jinja2's lax behaviour for undefined values (filters see "", loops see nothing), the
// `<label>_output.field` fallback to `extracted_information`, the `| json` filter (a typed value
// when it is the whole field), and limits (evaluation steps, output size, `range`) so that a
// template cannot hang or exhaust a worker.
import { PetrelError } from '@petrel/protocol';
import { jinja } from './jinja-library.ts';
import type { JinjaEnvironment, RuntimeValue, TemplateProgram } from './jinja-library.ts';

/** A node of the template syntax tree, seen structurally. */
export type TemplateNode = { type: string; [field: string]: unknown };

/** Limits every render obeys. */
export const TEMPLATE_LIMITS = {
  /** Evaluation steps of one render (a step is one syntax node evaluated). */
  maxSteps: 1_000_000,
  /** Characters of one rendered value, and of a string or list built by `*`. */
  maxOutputLength: 10_000_000,
  /** Items `range()` may produce (Jinja2's sandbox uses the same number). */
  maxRange: 100_000,
  /** Parsed templates kept in memory. */
  cacheSize: 2_000,
} as const;

const PRECOMPUTED = 'PetrelPrecomputed';
const EMPTY_STRING_NODE: TemplateNode = { type: 'StringLiteral', value: '' };
const EMPTY_ARRAY_NODE: TemplateNode = { type: 'ArrayLiteral', value: [] };

/** A `PetrelError('TEMPLATE_ERROR')` with the operation prefix. */
export function templateError(message: string, details?: Record<string, unknown>, cause?: unknown): PetrelError {
  return new PetrelError('TEMPLATE_ERROR', `templating: ${message}`, {
    ...(details === undefined ? {} : { details }),
    ...(cause === undefined ? {} : { cause }),
  });
}

const cache = new Map<string, TemplateProgram>();

/** Parses a template with Jinja2's default whitespace rules (no trim_blocks, no lstrip_blocks), cached. */
export function parseTemplate(source: string): TemplateProgram {
  const cached = cache.get(source);
  if (cached !== undefined) return cached;
  let program: TemplateProgram;
  try {
    program = jinja.parse(jinja.tokenize(source, { trim_blocks: false, lstrip_blocks: false }));
  } catch (error) {
    throw templateError(`syntax error: ${describeLibraryError(error)}`, undefined, error);
  }
  if (cache.size >= TEMPLATE_LIMITS.cacheSize) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(source, program);
  return program;
}

function describeLibraryError(error: unknown): string {
  if (error instanceof TypeError) return 'the template is incomplete (an unclosed tag or expression)';
  return error instanceof Error ? error.message : String(error);
}

/** True when a string holds Jinja syntax (`{{`, `{%` or `{#`); other strings render to themselves. */
export function hasTemplateSyntax(text: string): boolean {
  return text.includes('{{') || text.includes('{%') || text.includes('{#');
}

/** Name of a filter node (`x | name` or `x | name(args)`). */
export function filterNameOf(filter: unknown): string | undefined {
  const node = filter as TemplateNode;
  if (node.type === 'Identifier') return node['value'] as string;
  if (node.type === 'CallExpression') {
    const callee = node['callee'] as TemplateNode;
    if (callee.type === 'Identifier') return callee['value'] as string;
  }
  return undefined;
}

/** How a template uses `| json`: not at all, as the whole field (typed value), or mixed with text (an error). */
export type JsonFilterUse = { kind: 'none' } | { kind: 'whole'; operand: TemplateNode } | { kind: 'mixed' };

/** Finds how a parsed template uses the `| json` filter. */
export function findJsonFilterUse(program: TemplateProgram): JsonFilterUse {
  const body = program.body as TemplateNode[];
  const significant = body.filter((node) => !(node.type === 'StringLiteral' && String(node['value']).trim() === ''));
  const only = significant.length === 1 ? significant[0] : undefined;
  if (only?.type === 'FilterExpression' && filterNameOf(only['filter']) === 'json') {
    const operand = only['operand'] as TemplateNode;
    return containsJsonFilter(operand) ? { kind: 'mixed' } : { kind: 'whole', operand };
  }
  return containsJsonFilter(program) ? { kind: 'mixed' } : { kind: 'none' };
}

function containsJsonFilter(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some(containsJsonFilter);
  if (node instanceof Map) return [...node.entries()].some(([key, value]) => containsJsonFilter(key) || containsJsonFilter(value));
  const record = node as TemplateNode;
  if ((record.type === 'FilterExpression' || record.type === 'FilterStatement') && filterNameOf(record['filter']) === 'json') return true;
  return Object.values(record).some(containsJsonFilter);
}

/** Options of one evaluation. */
export type SandboxOptions = {
  /** Undefined variables and attributes are errors (default false: they render as ""). */
  strict: boolean;
  /** Block-output objects whose missing attributes fall back to their `extracted_information`. */
  blockOutputs: WeakSet<object>;
};

function precomputed(value: RuntimeValue): TemplateNode {
  return { type: PRECOMPUTED, value };
}

/** Dotted text of a member expression for messages, e.g. `order.items[0]`. */
export function describeExpression(node: TemplateNode): string {
  switch (node.type) {
    case 'Identifier':
      return String(node['value']);
    case 'MemberExpression': {
      const object = describeExpression(node['object'] as TemplateNode);
      const property = node['property'] as TemplateNode;
      if (node['computed'] !== true) return `${object}.${describeExpression(property)}`;
      if (property.type === 'StringLiteral') return `${object}[${JSON.stringify(property['value'])}]`;
      if (property.type === 'IntegerLiteral') return `${object}[${String(property['value'])}]`;
      return `${object}[…]`;
    }
    case 'IntegerLiteral':
      return String(node['value']);
    default:
      return '…';
  }
}

/** The interpreter with Petrel's rules; one instance per render. */
export class SandboxInterpreter extends jinja.Interpreter {
  readonly #options: SandboxOptions;
  #steps = 0;
  #lenient = 0;

  constructor(environment: JinjaEnvironment, options: SandboxOptions) {
    super(environment);
    this.#options = options;
  }

  override evaluate(statement: unknown, environment: JinjaEnvironment): RuntimeValue {
    if (statement === undefined) return super.evaluate(statement, environment);
    this.#charge(1);
    const node = statement as unknown as TemplateNode;
    switch (node.type) {
      case PRECOMPUTED:
        return node['value'] as RuntimeValue;
      case 'Identifier': {
        const value = super.evaluate(statement, environment);
        if (value.type === 'UndefinedValue' && this.#isStrict()) {
          const name = String(node['value']);
          throw templateError(`'${name}' is undefined`, { variable: name });
        }
        return value;
      }
      case 'MemberExpression':
        return this.#member(node, environment);
      case 'FilterExpression':
        return this.#filter(node, environment);
      case 'TestExpression':
        return this.#test(node, environment);
      case 'For':
        return this.#for(node, environment);
      case 'BinaryExpression':
        return this.#binary(node, environment);
      default:
        return super.evaluate(statement, environment);
    }
  }

  #charge(steps: number): void {
    this.#steps += steps;
    if (this.#steps > TEMPLATE_LIMITS.maxSteps) {
      throw templateError(`the template took more than ${TEMPLATE_LIMITS.maxSteps} evaluation steps`);
    }
  }

  #isStrict(): boolean {
    return this.#options.strict && this.#lenient === 0;
  }

  #lenientEvaluate(statement: unknown, environment: JinjaEnvironment): RuntimeValue {
    this.#lenient += 1;
    try {
      return super.evaluate(statement, environment);
    } finally {
      this.#lenient -= 1;
    }
  }

  #member(node: TemplateNode, environment: JinjaEnvironment): RuntimeValue {
    const object = this.evaluate(node['object'], environment);
    const replaced: TemplateNode = { ...node, object: precomputed(object) };
    const propertyNode = node['property'] as TemplateNode;
    let propertyName: string | undefined;
    if (node['computed'] === true) {
      if (propertyNode.type !== 'SliceExpression') {
        const property = this.evaluate(propertyNode, environment);
        replaced['property'] = precomputed(property);
        if (property.type === 'StringValue') propertyName = property.value as string;
      }
    } else if (propertyNode.type === 'Identifier') {
      propertyName = String(propertyNode['value']);
    }
    let value = super.evaluate(replaced, environment);
    if (value.type === 'UndefinedValue' && propertyName !== undefined && this.#options.blockOutputs.has(object)) {
      // `{{ label_output.field }}` where the output has no `field`: read it from the block's
      // extracted data, explicitly, instead of asking a model to guess (skyvern.md §2.5 gotcha).
      const extracted = (object.value as Map<string, RuntimeValue>).get('extracted_information');
      if (extracted?.type === 'ObjectValue') {
        value = (extracted.value as Map<string, RuntimeValue>).get(propertyName) ?? value;
      }
    }
    if (value.type === 'UndefinedValue' && this.#isStrict()) {
      const path = describeExpression(node);
      throw templateError(`'${path}' is undefined`, { variable: path });
    }
    return value;
  }

  #filter(node: TemplateNode, environment: JinjaEnvironment): RuntimeValue {
    const name = filterNameOf(node['filter']);
    if (name === 'json') {
      throw templateError('`| json` must be the whole value of a field, as in "{{ value | json }}"; it cannot be mixed with other text');
    }
    if (name === 'default') return this.#lenientEvaluate(node, environment);
    const operand = this.evaluate(node['operand'], environment);
    // Jinja2's lax Undefined behaves as "" in filters (`{{ missing | upper }}` renders "").
    const operandNode = operand.type === 'UndefinedValue' && !this.#options.strict ? EMPTY_STRING_NODE : precomputed(operand);
    return super.evaluate({ ...node, operand: operandNode }, environment);
  }

  #test(node: TemplateNode, environment: JinjaEnvironment): RuntimeValue {
    const test = node['test'] as TemplateNode;
    const name = test.type === 'Identifier' ? String(test['value']) : '';
    if (name === 'defined' || name === 'undefined' || name === 'none') {
      return this.#lenientEvaluate(node, environment);
    }
    return super.evaluate(node, environment);
  }

  #for(node: TemplateNode, environment: JinjaEnvironment): RuntimeValue {
    const iterableNode = node['iterable'] as TemplateNode;
    if (iterableNode.type === 'SelectExpression') return super.evaluate(node, environment);
    const iterable = this.evaluate(iterableNode, environment);
    // Every iteration costs at least one step, even with an empty body.
    const size = iterable.value instanceof Map ? iterable.value.size : Array.isArray(iterable.value) ? iterable.value.length : 0;
    this.#charge(size);
    // Jinja2's lax Undefined iterates as empty; strict mode has already thrown above.
    const replacement = iterable.type === 'UndefinedValue' ? EMPTY_ARRAY_NODE : precomputed(iterable);
    return super.evaluate({ ...node, iterable: replacement }, environment);
  }

  #binary(node: TemplateNode, environment: JinjaEnvironment): RuntimeValue {
    const operator = (node['operator'] as { value?: string } | undefined)?.value;
    if (operator !== '*') return super.evaluate(node, environment);
    const left = this.evaluate(node['left'], environment);
    const right = this.evaluate(node['right'], environment);
    const [sized, count] = left.type === 'IntegerValue' ? [right, left] : [left, right];
    if (count.type === 'IntegerValue' && (sized.type === 'StringValue' || sized.type === 'ArrayValue')) {
      const length = (sized.value as string | unknown[]).length * Math.max(0, count.value as number);
      if (length > TEMPLATE_LIMITS.maxOutputLength) {
        throw templateError(`a repeated value would be ${length} long, over the limit of ${TEMPLATE_LIMITS.maxOutputLength}`);
      }
    }
    return super.evaluate({ ...node, left: precomputed(left), right: precomputed(right) }, environment);
  }
}

/** Jinja's `range`, capped like Jinja2's sandbox. */
function sandboxRange(start: number, stop?: number, step = 1): number[] {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  if (![from, to, step].every((n) => Number.isInteger(n))) throw templateError('range() takes integers');
  if (step === 0) throw templateError('range() step must not be zero');
  const count = Math.max(0, Math.ceil((to - from) / step));
  if (count > TEMPLATE_LIMITS.maxRange) throw templateError(`range() may produce at most ${TEMPLATE_LIMITS.maxRange} items`);
  return Array.from({ length: count }, (_, index) => from + index * step);
}

/** A root environment with Jinja's globals and nothing else (no host functions). */
export function createRootEnvironment(): JinjaEnvironment {
  const environment = new jinja.Environment();
  for (const [name, value] of [
    ['true', true],
    ['false', false],
    ['none', null],
    ['True', true],
    ['False', false],
    ['None', null],
  ] as const) {
    environment.set(name, value);
  }
  environment.set('range', sandboxRange);
  return environment;
}

/** The names every template can use without a context (`namespace` comes from the library). */
export const JINJA_GLOBALS: ReadonlySet<string> = new Set(['true', 'false', 'none', 'True', 'False', 'None', 'range', 'namespace']);

/** Converts a runtime value to plain JSON data (for `| json`); functions are refused. */
export function runtimeToJson(value: RuntimeValue, strict: boolean): unknown {
  switch (value.type) {
    case 'IntegerValue':
    case 'FloatValue':
    case 'StringValue':
    case 'BooleanValue':
      return value.value;
    case 'NullValue':
      return null;
    case 'UndefinedValue':
      if (strict) throw templateError('`| json` of an undefined value');
      return null;
    case 'ArrayValue':
    case 'TupleValue':
      return (value.value as RuntimeValue[]).map((item) => runtimeToJson(item, strict));
    case 'ObjectValue':
    case 'KeywordArgumentsValue':
    case 'NamespaceValue':
      return Object.fromEntries([...(value.value as Map<string, RuntimeValue>)].map(([key, item]) => [key, runtimeToJson(item, strict)]));
    default:
      throw templateError(`a ${value.type} cannot be turned into JSON`);
  }
}

/** Wraps a failure of the library as a `TEMPLATE_ERROR`; Petrel errors pass through. */
export function asTemplateError(error: unknown): PetrelError {
  if (error instanceof PetrelError) return error;
  return templateError(`render failed: ${describeLibraryError(error)}`, undefined, error);
}
