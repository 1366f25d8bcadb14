// Rendering: `renderTemplate` for text, `renderValue` for whole field values (deep, with `| json`
// typed values), and `evaluateCondition` for the Jinja criteria of conditional branches and while
// loops. Rendering is synchronous and pure: nothing outside the context is reachable.
import { jinja } from './jinja-library.ts';
import {
  SandboxInterpreter,
  asTemplateError,
  findJsonFilterUse,
  hasTemplateSyntax,
  parseTemplate,
  runtimeToJson,
  templateError,
  TEMPLATE_LIMITS,
} from './jinja-sandbox.ts';
import { createTemplateContext, getContextInternals, isTemplateContext } from './template-context.ts';
import type { TemplateContext } from './template-context.ts';
import { parseTruthy } from './truthiness.ts';

/** Options of one render. */
export type RenderOptions = {
  /** Undefined variables and attributes are errors naming them (default false: they render as ""). */
  strict?: boolean;
};

/** A prepared context, or plain variables (converted on each call; block-output fallback needs a prepared context). */
export type TemplateVariables = TemplateContext | Record<string, unknown>;

function prepare(variables: TemplateVariables): TemplateContext {
  return isTemplateContext(variables) ? variables : createTemplateContext({ parameters: variables });
}

type Evaluation = { kind: 'text'; text: string } | { kind: 'json'; value: unknown };

function evaluate(template: string, variables: TemplateVariables, options: RenderOptions): Evaluation {
  const strict = options.strict ?? false;
  const program = parseTemplate(template);
  const use = findJsonFilterUse(program);
  if (use.kind === 'mixed') {
    throw templateError('`| json` must be the whole value of a field, as in "{{ value | json }}"; it cannot be mixed with other text');
  }
  const internals = getContextInternals(prepare(variables));
  // A child scope per render: `{% set %}` in one template never leaks into the next.
  const scope = new jinja.Environment(internals.environment);
  const interpreter = new SandboxInterpreter(scope, { strict, blockOutputs: internals.blockOutputs });
  try {
    if (use.kind === 'whole') {
      return { kind: 'json', value: runtimeToJson(interpreter.evaluate(use.operand, scope), strict) };
    }
    const result = interpreter.run(program);
    const text = typeof result.value === 'string' ? result.value : String(result.value);
    if (text.length > TEMPLATE_LIMITS.maxOutputLength) {
      throw templateError(`the rendered text is ${text.length} characters, over the limit of ${TEMPLATE_LIMITS.maxOutputLength}`);
    }
    return { kind: 'text', text };
  } catch (error) {
    throw asTemplateError(error);
  }
}

/**
 * Renders a template to text. Dicts and lists print as JSON; undefined values print as "" unless
 * `strict`. A template that is entirely `{{ x | json }}` renders as the JSON text of `x`.
 */
export function renderTemplate(template: string, variables: TemplateVariables, options: RenderOptions = {}): string {
  if (!hasTemplateSyntax(template)) return template;
  const result = evaluate(template, variables, options);
  return result.kind === 'text' ? result.text : JSON.stringify(result.value);
}

/**
 * Renders every string inside a value (objects and arrays deeply; keys are left alone). A string that
 * is entirely `{{ x | json }}` becomes the typed value of `x` (a number, a list, …), as in Skyvern's
 * HTTP bodies; other strings become rendered text; other values are returned as they are.
 */
export function renderValue(value: unknown, variables: TemplateVariables, options: RenderOptions = {}): unknown {
  const context = prepare(variables);
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') {
      if (!hasTemplateSyntax(item)) return item;
      const result = evaluate(item, context, options);
      return result.kind === 'text' ? result.text : result.value;
    }
    if (Array.isArray(item)) return item.map(walk);
    if (typeof item === 'object' && item !== null) {
      const copy: Record<string, unknown> = {};
      for (const [key, entry] of Object.entries(item)) {
        Object.defineProperty(copy, key, { value: walk(entry), enumerable: true, writable: true, configurable: true });
      }
      return copy;
    }
    return item;
  };
  return walk(value);
}

/** Renders a `jinja2_template` criteria expression and parses the text as a truth value. */
export function evaluateCondition(expression: string, variables: TemplateVariables, options: RenderOptions = {}): boolean {
  return parseTruthy(renderTemplate(expression, variables, options));
}

/** Checks that a template parses and does not misuse `| json`; throws `TEMPLATE_ERROR` otherwise. */
export function checkTemplateSyntax(template: string): void {
  if (!hasTemplateSyntax(template)) return;
  const use = findJsonFilterUse(parseTemplate(template));
  if (use.kind === 'mixed') {
    throw templateError('`| json` must be the whole value of a field, as in "{{ value | json }}"; it cannot be mixed with other text');
  }
}
