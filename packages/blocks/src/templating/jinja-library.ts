// A typed view of `@huggingface/jinja`. Its published declarations use extensionless relative
// imports, which TypeScript's `nodenext` resolution cannot follow, so every import of the library
// would be `any`. This file states the small part of its API Petrel uses, checked by the tests.
import * as library from '@huggingface/jinja';

/** A value of the Jinja runtime: `type` is its class name (`StringValue`, `ObjectValue`, …). */
export type RuntimeValue = { type: string; value: unknown };

/** A scope of variables; a child scope reads its parent's names. */
export type JinjaEnvironment = {
  variables: Map<string, RuntimeValue>;
  /** Declares a name in this scope, converting a JavaScript value to a runtime value. */
  set(name: string, value: unknown): RuntimeValue;
};

/** A parsed template (the root of the syntax tree). */
export type TemplateProgram = { type: 'Program'; body: unknown[] };

/** The tree-walking interpreter. */
export type JinjaInterpreter = {
  run(program: TemplateProgram): RuntimeValue;
  evaluate(statement: unknown, environment: JinjaEnvironment): RuntimeValue;
};

type JinjaLibrary = {
  Environment: new (parent?: JinjaEnvironment) => JinjaEnvironment;
  Interpreter: new (environment?: JinjaEnvironment) => JinjaInterpreter;
  tokenize(source: string, options?: { trim_blocks?: boolean; lstrip_blocks?: boolean }): unknown[];
  parse(tokens: unknown[]): TemplateProgram;
};

/** The library, typed. */
export const jinja = library as unknown as JinjaLibrary;
