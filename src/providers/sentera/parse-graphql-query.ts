/**
 * Reads the part of GraphQL (the October 2021 spec) the Sentera emulator serves: one query
 * operation, with variables, aliases, arguments of every value kind, and nested selections.
 * Fragments, directives and mutations are refused by name, so a client that needs them finds
 * out from the sandbox rather than from Sentera.
 */

/** A selected field with its arguments resolved against the variables. */
export interface GraphqlField {
  /** The response key: the alias, or the field name. */
  key: string;
  name: string;
  arguments: Record<string, unknown>;
  selections: GraphqlField[];
}

/** A readable query, or why it is not one (the message GraphQL servers answer in `errors`). */
export type GraphqlQuery = { ok: true; selections: GraphqlField[] } | { ok: false; message: string };

type Token = { kind: 'punctuator' | 'name' | 'int' | 'float' | 'string'; value: string; at: number };

const PUNCTUATORS = new Set(['!', '$', '&', '(', ')', ':', '=', '@', '[', ']', '{', '|', '}']);
const MAX_DEPTH = 32;

class GraphqlSyntaxError extends Error {}

/** The query's top-level selections with variables substituted (spec section 5.8 defaults included). */
export function parseGraphqlQuery(source: string, variables: Record<string, unknown> = {}): GraphqlQuery {
  try {
    return { ok: true, selections: new Parser(tokenize(source), variables).document() };
  } catch (error) {
    if (error instanceof GraphqlSyntaxError) return { ok: false, message: error.message };
    throw error;
  }
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const char = source[at]!;
    if (/[\s,\uFEFF]/.test(char)) {
      at += 1;
    } else if (char === '#') {
      while (at < source.length && source[at] !== '\n' && source[at] !== '\r') at += 1;
    } else if (source.startsWith('...', at)) {
      tokens.push({ kind: 'punctuator', value: '...', at });
      at += 3;
    } else if (PUNCTUATORS.has(char)) {
      tokens.push({ kind: 'punctuator', value: char, at });
      at += 1;
    } else if (/[_A-Za-z]/.test(char)) {
      const name = /^[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(at))![0];
      tokens.push({ kind: 'name', value: name, at });
      at += name.length;
    } else if (/[-0-9]/.test(char)) {
      const number = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(at));
      if (number === null) throw new GraphqlSyntaxError(`Syntax Error: Invalid number at offset ${at}.`);
      tokens.push({ kind: number[1] === undefined && number[2] === undefined ? 'int' : 'float', value: number[0], at });
      at += number[0].length;
    } else if (char === '"') {
      if (source.startsWith('"""', at)) throw new GraphqlSyntaxError(`Syntax Error: block strings are not supported by the sandbox (offset ${at}).`);
      let end = at + 1;
      while (end < source.length && source[end] !== '"') end += source[end] === '\\' ? 2 : 1;
      if (end >= source.length) throw new GraphqlSyntaxError(`Syntax Error: Unterminated string at offset ${at}.`);
      let value: unknown;
      try {
        value = JSON.parse(source.slice(at, end + 1));
      } catch {
        throw new GraphqlSyntaxError(`Syntax Error: Invalid string at offset ${at}.`);
      }
      tokens.push({ kind: 'string', value: value as string, at });
      at = end + 1;
    } else {
      throw new GraphqlSyntaxError(`Syntax Error: Unexpected character "${char}" at offset ${at}.`);
    }
  }
  return tokens;
}

class Parser {
  private index = 0;
  private readonly defaults: Record<string, unknown> = {};

  constructor(
    private readonly tokens: Token[],
    private readonly variables: Record<string, unknown>,
  ) {}

  document(): GraphqlField[] {
    let selections: GraphqlField[];
    if (this.peekPunctuator('{')) {
      selections = this.selectionSet(0);
    } else {
      const keyword = this.expect('name');
      if (keyword.value === 'mutation' || keyword.value === 'subscription') throw new GraphqlSyntaxError(`The sandbox serves queries only; found a ${keyword.value}.`);
      if (keyword.value === 'fragment') throw new GraphqlSyntaxError('Fragments are not supported by the sandbox.');
      if (keyword.value !== 'query') throw new GraphqlSyntaxError(`Syntax Error: Unexpected Name "${keyword.value}"; expected query or {.`);
      if (this.peek()?.kind === 'name') this.index += 1; // the operation's name
      if (this.peekPunctuator('(')) this.variableDefinitions();
      if (this.peekPunctuator('@')) throw new GraphqlSyntaxError('Directives are not supported by the sandbox.');
      selections = this.selectionSet(0);
    }
    const rest = this.peek();
    if (rest !== undefined) {
      const what = rest.value === 'fragment' ? 'Fragments are not supported by the sandbox.' : `Syntax Error: Unexpected "${rest.value}" at offset ${rest.at}; the sandbox takes one operation per request.`;
      throw new GraphqlSyntaxError(what);
    }
    return selections;
  }

  private variableDefinitions(): void {
    this.expectPunctuator('(');
    while (!this.peekPunctuator(')')) {
      this.expectPunctuator('$');
      const name = this.expect('name').value;
      this.expectPunctuator(':');
      this.type();
      if (this.peekPunctuator('=')) {
        this.index += 1;
        this.defaults[name] = this.value(0, true);
      }
    }
    this.expectPunctuator(')');
  }

  private type(): void {
    if (this.peekPunctuator('[')) {
      this.index += 1;
      this.type();
      this.expectPunctuator(']');
    } else {
      this.expect('name');
    }
    if (this.peekPunctuator('!')) this.index += 1;
  }

  private selectionSet(depth: number): GraphqlField[] {
    if (depth > MAX_DEPTH) throw new GraphqlSyntaxError(`The query nests deeper than ${MAX_DEPTH} levels.`);
    this.expectPunctuator('{');
    const fields: GraphqlField[] = [];
    while (!this.peekPunctuator('}')) {
      if (this.peekPunctuator('...')) throw new GraphqlSyntaxError('Fragments are not supported by the sandbox.');
      // `alias: name` or `name`: the first name is the response key either way.
      const key = this.expect('name').value;
      let name = key;
      if (this.peekPunctuator(':')) {
        this.index += 1;
        name = this.expect('name').value;
      }
      const args: Record<string, unknown> = {};
      if (this.peekPunctuator('(')) {
        this.index += 1;
        while (!this.peekPunctuator(')')) {
          const argument = this.expect('name').value;
          this.expectPunctuator(':');
          args[argument] = this.value(depth, false);
        }
        this.expectPunctuator(')');
      }
      if (this.peekPunctuator('@')) throw new GraphqlSyntaxError('Directives are not supported by the sandbox.');
      const selections = this.peekPunctuator('{') ? this.selectionSet(depth + 1) : [];
      fields.push({ key, name, arguments: args, selections });
    }
    this.expectPunctuator('}');
    if (fields.length === 0) throw new GraphqlSyntaxError('Syntax Error: a selection set may not be empty.');
    return fields;
  }

  private value(depth: number, constant: boolean): unknown {
    if (depth > MAX_DEPTH) throw new GraphqlSyntaxError(`A value nests deeper than ${MAX_DEPTH} levels.`);
    const token = this.next();
    if (token.kind === 'punctuator') {
      if (token.value === '$' && !constant) {
        const name = this.expect('name').value;
        if (Object.hasOwn(this.variables, name)) return this.variables[name];
        return Object.hasOwn(this.defaults, name) ? this.defaults[name] : undefined;
      }
      if (token.value === '[') {
        const list: unknown[] = [];
        while (!this.peekPunctuator(']')) list.push(this.value(depth + 1, constant));
        this.index += 1;
        return list;
      }
      if (token.value === '{') {
        const object = new Map<string, unknown>();
        while (!this.peekPunctuator('}')) {
          const name = this.expect('name').value;
          this.expectPunctuator(':');
          object.set(name, this.value(depth + 1, constant));
        }
        this.index += 1;
        return Object.fromEntries(object);
      }
      throw new GraphqlSyntaxError(`Syntax Error: Unexpected "${token.value}" at offset ${token.at}; expected a value.`);
    }
    if (token.kind === 'int' || token.kind === 'float') return Number(token.value);
    if (token.kind === 'string') return token.value;
    if (token.value === 'true') return true;
    if (token.value === 'false') return false;
    if (token.value === 'null') return null;
    return token.value; // an enum value
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private peekPunctuator(value: string): boolean {
    const token = this.peek();
    return token?.kind === 'punctuator' && token.value === value;
  }

  private next(): Token {
    const token = this.tokens[this.index];
    if (token === undefined) throw new GraphqlSyntaxError('Syntax Error: Unexpected end of the document.');
    this.index += 1;
    return token;
  }

  private expect(kind: Token['kind']): Token {
    const token = this.next();
    if (token.kind !== kind) throw new GraphqlSyntaxError(`Syntax Error: Expected ${kind === 'name' ? 'a name' : kind}, found "${token.value}" at offset ${token.at}.`);
    return token;
  }

  private expectPunctuator(value: string): void {
    const token = this.next();
    if (token.kind !== 'punctuator' || token.value !== value) throw new GraphqlSyntaxError(`Syntax Error: Expected "${value}", found "${token.value}" at offset ${token.at}.`);
  }
}
