// Free variables of a template, found on the template engine's own syntax tree (not by regex), with
// Jinja's scoping: names bound by `{% set %}`, `{% for %}`, macros and call blocks are not free, and
// `loop` is defined inside a for body.
import { JINJA_GLOBALS, parseTemplate } from './jinja-sandbox.ts';
import type { TemplateNode } from './jinja-sandbox.ts';

/** One use of a variable the template does not define itself. */
export type TemplateVariable = {
  /** The top-level name, e.g. `extract_orders_output`. */
  name: string;
  /** Static attribute and index path after the name, e.g. `['orders', 0, 'id']` for `x.orders[0].id`. */
  path: (string | number)[];
};

type Scope = Set<string>;

function isNode(value: unknown): value is TemplateNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function bindTargets(target: unknown, scope: Scope): void {
  if (!isNode(target)) return;
  if (target.type === 'Identifier') scope.add(String(target['value']));
  else if (target.type === 'TupleLiteral' || target.type === 'ArrayLiteral') {
    for (const item of target['value'] as unknown[]) bindTargets(item, scope);
  }
}

function parameterNames(args: unknown, scope: Scope): void {
  for (const arg of (args as unknown[] | null) ?? []) {
    if (!isNode(arg)) continue;
    if (arg.type === 'Identifier') scope.add(String(arg['value']));
    else if (arg.type === 'KeywordArgumentExpression') scope.add(String((arg['key'] as TemplateNode)['value']));
  }
}

class Collector {
  readonly found = new Map<string, TemplateVariable>();

  statements(nodes: unknown, scope: Scope): void {
    for (const node of (nodes as unknown[] | undefined) ?? []) this.node(node, scope);
  }

  node(node: unknown, scope: Scope): void {
    if (!isNode(node)) return;
    switch (node.type) {
      case 'Program':
        this.statements(node['body'], scope);
        return;
      case 'If':
        // `if` opens no scope in Jinja: a `set` inside it is visible after it.
        this.node(node['test'], scope);
        this.statements(node['body'], scope);
        this.statements(node['alternate'], scope);
        return;
      case 'For': {
        const inner = new Set(scope);
        bindTargets(node['loopvar'], inner);
        inner.add('loop');
        const iterable = node['iterable'] as TemplateNode;
        if (iterable.type === 'SelectExpression') {
          this.node(iterable['lhs'], scope);
          this.node(iterable['test'], inner);
        } else {
          this.node(iterable, scope);
        }
        this.statements(node['body'], inner);
        this.statements(node['defaultBlock'], scope);
        return;
      }
      case 'Set': {
        if (node['value'] !== null && node['value'] !== undefined) this.node(node['value'], scope);
        else this.statements(node['body'], scope);
        const assignee = node['assignee'] as TemplateNode;
        if (assignee.type === 'MemberExpression') this.node(assignee['object'], scope);
        else bindTargets(assignee, scope);
        return;
      }
      case 'Macro': {
        scope.add(String((node['name'] as TemplateNode)['value']));
        const inner = new Set(scope);
        for (const arg of node['args'] as unknown[]) {
          if (isNode(arg) && arg.type === 'KeywordArgumentExpression') this.node(arg['value'], scope);
        }
        parameterNames(node['args'], inner);
        for (const name of ['varargs', 'kwargs', 'caller']) inner.add(name);
        this.statements(node['body'], inner);
        return;
      }
      case 'CallStatement': {
        this.node(node['call'], scope);
        const inner = new Set(scope);
        parameterNames(node['callerArgs'], inner);
        this.statements(node['body'], inner);
        return;
      }
      case 'FilterStatement':
        this.filterArguments(node['filter'], scope);
        this.statements(node['body'], scope);
        return;
      case 'Identifier':
        this.reference(String(node['value']), [], scope);
        return;
      case 'MemberExpression':
        this.member(node, scope);
        return;
      case 'CallExpression':
        this.node(node['callee'], scope);
        this.statements(node['args'], scope);
        return;
      case 'FilterExpression':
        this.node(node['operand'], scope);
        this.filterArguments(node['filter'], scope);
        return;
      case 'TestExpression':
        this.node(node['operand'], scope);
        return;
      case 'SelectExpression':
        this.node(node['lhs'], scope);
        this.node(node['test'], scope);
        return;
      case 'BinaryExpression':
        this.node(node['left'], scope);
        this.node(node['right'], scope);
        return;
      case 'UnaryExpression':
      case 'SpreadExpression':
      case 'KeywordSpreadExpression':
        this.node(node['argument'], scope);
        return;
      case 'Ternary':
        this.node(node['condition'], scope);
        this.node(node['trueExpr'], scope);
        this.node(node['falseExpr'], scope);
        return;
      case 'ArrayLiteral':
      case 'TupleLiteral':
        this.statements(node['value'], scope);
        return;
      case 'ObjectLiteral':
        for (const [key, value] of node['value'] as Map<unknown, unknown>) {
          this.node(key, scope);
          this.node(value, scope);
        }
        return;
      case 'KeywordArgumentExpression':
        this.node(node['value'], scope);
        return;
      case 'SliceExpression':
        this.node(node['start'], scope);
        this.node(node['stop'], scope);
        this.node(node['step'], scope);
        return;
      default:
        // Literals, comments, break and continue reference nothing.
        return;
    }
  }

  filterArguments(filter: unknown, scope: Scope): void {
    if (isNode(filter) && filter.type === 'CallExpression') this.statements(filter['args'], scope);
  }

  member(node: TemplateNode, scope: Scope): void {
    const path: (string | number)[] = [];
    let current: TemplateNode = node;
    while (current.type === 'MemberExpression') {
      const property = current['property'] as TemplateNode;
      if (current['computed'] !== true && property.type === 'Identifier') path.unshift(String(property['value']));
      else if (property.type === 'StringLiteral') path.unshift(String(property['value']));
      else if (property.type === 'IntegerLiteral') path.unshift(Number(property['value']));
      else {
        // A dynamic subscript ends the static path; its own expression may reference variables.
        this.node(property, scope);
        path.length = 0;
      }
      current = current['object'] as TemplateNode;
    }
    if (current.type === 'Identifier') this.reference(String(current['value']), path, scope);
    else this.node(current, scope);
  }

  reference(name: string, path: (string | number)[], scope: Scope): void {
    if (scope.has(name) || JINJA_GLOBALS.has(name)) return;
    const key = JSON.stringify([name, path]);
    if (!this.found.has(key)) this.found.set(key, { name, path });
  }
}

/**
 * Lists the variables a template uses but does not define, in order of first use, each with its
 * static attribute path. Throws `TEMPLATE_ERROR` when the template does not parse.
 */
export function findTemplateVariables(template: string): TemplateVariable[] {
  const collector = new Collector();
  collector.node(parseTemplate(template), new Set());
  return [...collector.found.values()];
}
