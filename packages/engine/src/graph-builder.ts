// The step graph of a code workflow: the source of `run` (or of the entrypoint class) is parsed with
// oxc-parser and mapped onto Cloudflare's node kinds. Static analysis only: names that are not
// literals appear as their source text, and loops/branches appear when they contain steps.
import { parseSync } from 'oxc-parser';
import { DEFAULT_STEP_CONFIG } from './step-config.ts';
import type { GraphBlock, GraphDuration, GraphFunction, GraphNode, WorkflowGraph } from './graph-types.ts';

type AstNode = { type: string; start: number; end: number; [key: string]: unknown };

const PARALLEL_KINDS: Record<string, 'all' | 'any' | 'all_settled' | 'race'> = { all: 'all', any: 'any', allSettled: 'all_settled', race: 'race' };
const LOOP_METHODS = new Set(['map', 'forEach', 'flatMap', 'filter', 'reduce', 'some', 'every', 'find']);
const FUNCTION_TYPES = new Set(['FunctionExpression', 'ArrowFunctionExpression', 'FunctionDeclaration']);

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function unwrap(node: unknown): AstNode | undefined {
  let current = node;
  while (isNode(current) && (current.type === 'ParenthesizedExpression' || current.type === 'TSAsExpression' || current.type === 'TSNonNullExpression')) {
    current = current.expression;
  }
  return isNode(current) ? current : undefined;
}

function parseProgram(source: string): AstNode | undefined {
  for (const text of [source, `(${source})`, `({${source}})`]) {
    try {
      const result = parseSync('workflow.ts', text, { lang: 'ts', sourceType: 'module' });
      if (result.errors.length === 0) return { ...(result.program as unknown as AstNode), sourceText: text };
    } catch {
      // try the next wrapping
    }
  }
  return undefined;
}

function block(nodes: GraphNode[], present: boolean): GraphBlock | null {
  return present ? { type: 'block', nodes } : null;
}

/** Builds the graph of a workflow from its source (`run.toString()` or the class source); undefined when it cannot be parsed. */
export function buildWorkflowGraph(input: { source: string; className: string }): WorkflowGraph | undefined {
  const program = parseProgram(input.source);
  if (!program) return undefined;
  const text = program.sourceText as string;
  const found = findRun(program);
  if (!found) return undefined;
  const builder = new GraphWalker(text, stepParamName(found.run), found.methods);
  const nodes = builder.functionBody(found.run);
  const functions: Record<string, GraphFunction> = {};
  for (const [name, { fn, stepIndex }] of builder.calledFunctions()) {
    functions[name] = { type: 'function_def', name, nodes: new GraphWalker(text, paramName(fn, stepIndex) ?? builder.stepName, found.methods).functionBody(fn) };
  }
  return { version: 1, workflow: { class_name: input.className, functions, nodes, payload: { type: 'unknown' } } };
}

function stepParamName(fn: AstNode): string | undefined {
  return paramName(fn, 1);
}

function paramName(fn: AstNode, index: number): string | undefined {
  const params = fn.params as AstNode[] | undefined;
  const second = params?.[index];
  if (second?.type === 'Identifier') return second.name as string;
  if (second?.type === 'AssignmentPattern' && isNode(second.left) && second.left.type === 'Identifier') return second.left.name as string;
  return undefined;
}

/** Finds the `run` function, and the other methods of a class (helpers that take `step`). */
function findRun(program: AstNode): { run: AstNode; methods: Map<string, AstNode> } | undefined {
  const methods = new Map<string, AstNode>();
  let run: AstNode | undefined;
  const visit = (node: unknown, depth: number): void => {
    if (run || depth > 6 || !isNode(node)) return;
    if (node.type === 'ClassDeclaration' || node.type === 'ClassExpression') {
      for (const member of ((node.body as AstNode).body as AstNode[]) ?? []) {
        if (member.type !== 'MethodDefinition' || !isNode(member.key)) continue;
        const name = (member.key.name as string | undefined) ?? '';
        if (name === 'run') run = member.value as AstNode;
        else methods.set(name, member.value as AstNode);
      }
      return;
    }
    if (FUNCTION_TYPES.has(node.type)) {
      run = node;
      return;
    }
    if (node.type === 'Property' && isNode(node.key) && node.key.name === 'run') {
      run = unwrap(node.value);
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'type' || key === 'start' || key === 'end') continue;
      if (Array.isArray(value)) for (const item of value) visit(item, depth + 1);
      else visit(value, depth + 1);
    }
  };
  visit(program, 0);
  return run ? { run, methods } : undefined;
}

class GraphWalker {
  readonly #text: string;
  readonly stepName: string;
  readonly #methods: Map<string, AstNode>;
  readonly #locals = new Map<string, AstNode>();
  readonly #called = new Map<string, { fn: AstNode; stepIndex: number }>();
  #loopDepth = 0;
  #blockDepth = 0;

  constructor(text: string, stepName: string | undefined, methods: Map<string, AstNode>) {
    this.#text = text;
    this.stepName = stepName ?? 'step';
    this.#methods = methods;
  }

  /** Helper functions called with the step object, with the position of that argument. */
  calledFunctions(): Map<string, { fn: AstNode; stepIndex: number }> {
    return this.#called;
  }

  #src(node: unknown): string {
    return isNode(node) ? this.#text.slice(node.start, node.end) : '';
  }

  functionBody(fn: AstNode): GraphNode[] {
    const body = fn.body as AstNode | undefined;
    if (!body) return [];
    if (body.type === 'BlockStatement') return this.#statements(body.body as AstNode[]);
    return this.#expr(body);
  }

  #statements(list: AstNode[]): GraphNode[] {
    const nodes: GraphNode[] = [];
    for (const statement of list) nodes.push(...this.#statement(statement));
    return nodes;
  }

  #nested<T>(fn: () => T, loop = false): T {
    this.#blockDepth++;
    if (loop) this.#loopDepth++;
    try {
      return fn();
    } finally {
      this.#blockDepth--;
      if (loop) this.#loopDepth--;
    }
  }

  #block(node: unknown, loop = false): GraphNode[] {
    const statement = isNode(node) ? node : undefined;
    if (!statement) return [];
    return this.#nested(() => (statement.type === 'BlockStatement' ? this.#statements(statement.body as AstNode[]) : this.#statement(statement)), loop);
  }

  #statement(node: AstNode): GraphNode[] {
    switch (node.type) {
      case 'ExpressionStatement':
        return this.#expr(node.expression);
      case 'VariableDeclaration': {
        const nodes: GraphNode[] = [];
        for (const declaration of node.declarations as AstNode[]) {
          const init = unwrap(declaration.init);
          if (init && FUNCTION_TYPES.has(init.type) && isNode(declaration.id) && declaration.id.type === 'Identifier') {
            this.#locals.set(declaration.id.name as string, init);
            continue;
          }
          nodes.push(...this.#expr(declaration.init));
        }
        return nodes;
      }
      case 'FunctionDeclaration':
        if (isNode(node.id)) this.#locals.set(node.id.name as string, node);
        return [];
      case 'ReturnStatement': {
        const nodes = this.#expr(node.argument);
        if (this.#blockDepth > 0) nodes.push({ type: 'break', kind: 'return' });
        return nodes;
      }
      case 'BreakStatement':
        return this.#loopDepth > 0 ? [{ type: 'break', kind: 'break' }] : [];
      case 'BlockStatement':
        return this.#statements(node.body as AstNode[]);
      case 'LabeledStatement':
        return this.#statement(node.body as AstNode);
      case 'IfStatement': {
        const branches: Array<{ condition: string | null; nodes: GraphNode[] }> = [];
        const testNodes = this.#expr(node.test);
        let current: AstNode | undefined = node;
        while (current && current.type === 'IfStatement') {
          branches.push({ condition: this.#src(current.test), nodes: this.#block(current.consequent) });
          const alternate: AstNode | undefined = isNode(current.alternate) ? current.alternate : undefined;
          if (alternate && alternate.type !== 'IfStatement') {
            branches.push({ condition: null, nodes: this.#block(alternate) });
            current = undefined;
          } else {
            current = alternate;
          }
        }
        if (branches.every((b) => b.nodes.length === 0)) return testNodes;
        return [...testNodes, { type: 'if', branches }];
      }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
      case 'WhileStatement':
      case 'DoWhileStatement': {
        const head = [...this.#expr(node.init), ...this.#expr(node.right), ...(node.type === 'WhileStatement' ? this.#expr(node.test) : [])];
        const nodes = this.#block(node.body, true);
        return nodes.length === 0 ? head : [...head, { type: 'loop', nodes }];
      }
      case 'TryStatement': {
        const tryBlock = this.#block(node.block);
        const handler = isNode(node.handler) ? this.#block(node.handler.body) : [];
        const finalizer = this.#block(node.finalizer);
        if (tryBlock.length + handler.length + finalizer.length === 0) return [];
        return [
          {
            type: 'try',
            try_block: block(tryBlock, true),
            catch_block: block(handler, isNode(node.handler)),
            finally_block: block(finalizer, isNode(node.finalizer)),
          },
        ];
      }
      case 'SwitchStatement': {
        const branches = (node.cases as AstNode[]).map((c) => ({
          condition: isNode(c.test) ? this.#src(c.test) : null,
          nodes: this.#nested(() => this.#statements(c.consequent as AstNode[]), true),
        }));
        const head = this.#expr(node.discriminant);
        if (branches.every((b) => b.nodes.length === 0)) return head;
        return [...head, { type: 'switch', discriminant: this.#src(node.discriminant), branches }];
      }
      case 'ThrowStatement':
        return this.#expr(node.argument);
      default:
        return this.#generic(node);
    }
  }

  #expr(value: unknown): GraphNode[] {
    const node = unwrap(value);
    if (!node) return [];
    switch (node.type) {
      case 'AwaitExpression':
        return this.#expr(node.argument);
      case 'CallExpression':
        return this.#call(node);
      case 'ConditionalExpression': {
        const consequent = this.#expr(node.consequent);
        const alternate = this.#expr(node.alternate);
        const test = this.#expr(node.test);
        if (consequent.length + alternate.length === 0) return test;
        return [
          ...test,
          {
            type: 'if',
            branches: [
              { condition: this.#src(node.test), nodes: consequent },
              { condition: null, nodes: alternate },
            ],
          },
        ];
      }
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        return [];
      default:
        return this.#generic(node);
    }
  }

  /** Collects step nodes from any node whose shape is not modelled, in source order. */
  #generic(node: AstNode): GraphNode[] {
    const nodes: GraphNode[] = [];
    for (const [key, value] of Object.entries(node)) {
      if (key === 'type' || key === 'start' || key === 'end') continue;
      if (Array.isArray(value)) {
        for (const item of value) if (isNode(item)) nodes.push(...(item.type.endsWith('Statement') || item.type.endsWith('Declaration') ? this.#statement(item) : this.#expr(item)));
      } else if (isNode(value)) {
        nodes.push(...(value.type.endsWith('Statement') || value.type.endsWith('Declaration') ? this.#statement(value) : this.#expr(value)));
      }
    }
    return nodes;
  }

  #callbackNodes(value: unknown): GraphNode[] {
    const fn = unwrap(value);
    if (!fn || !FUNCTION_TYPES.has(fn.type)) return this.#expr(value);
    // A callback is a function of its own: its returns end the callback, not the workflow.
    const saved = [this.#blockDepth, this.#loopDepth];
    this.#blockDepth = 0;
    this.#loopDepth = 0;
    try {
      return this.functionBody(fn);
    } finally {
      [this.#blockDepth = 0, this.#loopDepth = 0] = saved;
    }
  }

  #call(node: AstNode): GraphNode[] {
    const callee = unwrap(node.callee);
    const args = (node.arguments as AstNode[]) ?? [];
    if (callee?.type === 'MemberExpression' && !callee.computed && isNode(callee.property)) {
      const object = unwrap(callee.object);
      const method = callee.property.name as string;
      if (object?.type === 'Identifier' && object.name === this.stepName) {
        const stepNode = this.#stepCall(method, args);
        if (stepNode) return [stepNode];
      }
      if (object?.type === 'Identifier' && object.name === 'Promise' && PARALLEL_KINDS[method]) {
        const nodes = args.flatMap((arg) => {
          const a = unwrap(arg);
          if (a?.type === 'ArrayExpression') return (a.elements as unknown[]).flatMap((element) => this.#expr(element));
          return this.#expr(arg);
        });
        return nodes.length === 0 ? [] : [{ type: 'parallel', kind: PARALLEL_KINDS[method], nodes }];
      }
      if (LOOP_METHODS.has(method)) {
        const head = this.#expr(callee.object);
        const nodes = args.flatMap((arg) => this.#callbackNodes(arg));
        return nodes.length === 0 ? head : [...head, { type: 'loop', nodes }];
      }
      const index = this.#stepIndex(args);
      if (object?.type === 'ThisExpression' && this.#methods.has(method) && index >= 0) {
        this.#called.set(method, { fn: this.#methods.get(method)!, stepIndex: index });
        return [{ type: 'function_call', name: method }];
      }
    }
    const index = this.#stepIndex(args);
    if (callee?.type === 'Identifier' && index >= 0) {
      const name = callee.name as string;
      const local = this.#locals.get(name);
      if (local) this.#called.set(name, { fn: local, stepIndex: index });
      return [{ type: 'function_call', name }];
    }
    return [...this.#expr(node.callee), ...args.flatMap((arg) => this.#expr(arg))];
  }

  #stepIndex(args: AstNode[]): number {
    return args.findIndex((arg) => {
      const a = unwrap(arg);
      return a?.type === 'Identifier' && a.name === this.stepName;
    });
  }

  #literal(node: unknown): string | number | undefined {
    const n = unwrap(node);
    if (!n) return undefined;
    if (n.type === 'Literal' && (typeof n.value === 'string' || typeof n.value === 'number')) return n.value;
    if (n.type === 'TemplateLiteral' && (n.expressions as unknown[]).length === 0) {
      const quasi = (n.quasis as AstNode[])[0];
      return (quasi?.value as { cooked?: string } | undefined)?.cooked ?? '';
    }
    return undefined;
  }

  #name(node: unknown): string {
    const literal = this.#literal(node);
    return literal === undefined ? this.#src(node) : String(literal);
  }

  #duration(node: unknown): GraphDuration {
    return this.#literal(node) ?? this.#src(node);
  }

  #property(object: unknown, key: string): AstNode | undefined {
    const o = unwrap(object);
    if (o?.type !== 'ObjectExpression') return undefined;
    for (const property of o.properties as AstNode[]) {
      if (property.type !== 'Property' || !isNode(property.key)) continue;
      const name = property.key.type === 'Identifier' ? property.key.name : property.key.value;
      if (name === key) return property.value as AstNode;
    }
    return undefined;
  }

  #stepCall(method: string, args: AstNode[]): GraphNode | undefined {
    switch (method) {
      case 'do': {
        const hasConfig = args.length >= 3 || (args[1] !== undefined && !FUNCTION_TYPES.has(unwrap(args[1])?.type ?? ''));
        const configNode = hasConfig ? args[1] : undefined;
        const callback = hasConfig ? args[2] : args[1];
        const retries = this.#property(configNode, 'retries');
        const defaults = DEFAULT_STEP_CONFIG;
        const limit = this.#literal(this.#property(retries, 'limit'));
        const delay = this.#property(retries, 'delay');
        const backoff = this.#literal(this.#property(retries, 'backoff'));
        const timeout = this.#property(configNode, 'timeout');
        return {
          type: 'step_do',
          name: this.#name(args[0]),
          config: {
            retries: {
              limit: typeof limit === 'number' ? limit : defaults.retries.limit,
              delay: delay ? this.#duration(delay) : defaults.retries.delay,
              backoff: typeof backoff === 'string' ? backoff : defaults.retries.backoff,
            },
            timeout: timeout ? this.#duration(timeout) : defaults.timeout,
          },
          nodes: callback ? this.#callbackNodes(callback) : [],
        };
      }
      case 'sleep':
        return { type: 'step_sleep', name: this.#name(args[0]), duration: this.#duration(args[1]) };
      case 'sleepUntil':
        return { type: 'step_sleep_until', name: this.#name(args[0]), timestamp: this.#src(args[1]) };
      case 'waitForEvent': {
        const options = args[1];
        const type = this.#property(options, 'type');
        const timeout = this.#property(options, 'timeout');
        return {
          type: 'step_wait_for_event',
          name: this.#name(args[0]),
          options: type ? { event_type: this.#name(type), timeout: timeout ? this.#duration(timeout) : '24 hours' } : null,
        };
      }
      case 'waitForChild':
        return { type: 'step_wait_for_event', name: this.#name(args[0]), options: null };
      case 'startChild':
        return {
          type: 'step_do',
          name: this.#name(args[0]),
          config: { retries: { limit: 3, delay: 1000, backoff: 'exponential' }, timeout: DEFAULT_STEP_CONFIG.timeout },
          nodes: [],
        };
      default:
        return undefined;
    }
  }
}
