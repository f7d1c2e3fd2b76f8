import { describe, expect, it } from 'vitest';
import { parseGraphqlQuery, type GraphqlField } from './parse-graphql-query.js';

const field = (name: string, options: Partial<GraphqlField> = {}): GraphqlField => ({ key: name, name, arguments: {}, selections: [], ...options });

describe('reading the GraphQL the Sentera emulator serves', () => {
  it("reads the docs' example query (providers.md 10.4)", () => {
    const query = 'query AllFields{\n  fields(pagination: { page: 1, page_size: 100 }) {\n    total_count\n    page\n    results {\n      sentera_id\n      name\n      latitude\n      longitude\n    }\n  }\n}';
    expect(parseGraphqlQuery(query)).toEqual({
      ok: true,
      selections: [
        field('fields', {
          arguments: { pagination: { page: 1, page_size: 100 } },
          selections: [field('total_count'), field('page'), field('results', { selections: ['sentera_id', 'name', 'latitude', 'longitude'].map((name) => field(name)) })],
        }),
      ],
    });
  });

  it('substitutes variables, falling back to their defaults, and leaves unknown ones out', () => {
    const query = 'query Q($page: Int! = 3, $size: Int!, $owner: ID, $missing: String) { fields(owner_id: $owner, pagination: { page: $page, page_size: $size }, x: $missing) { page } }';
    const parsed = parseGraphqlQuery(query, { size: 10, owner: 'org-1' });
    expect(parsed.ok && parsed.selections[0]!.arguments).toEqual({ owner_id: 'org-1', pagination: { page: 3, page_size: 10 }, x: undefined });
  });

  it('reads every kind of value: strings with escapes, floats, booleans, null, enums, lists and objects', () => {
    const parsed = parseGraphqlQuery('{ f(s: "a \\"b\\" \\u00e9", n: -1.5e2, t: true, f: false, z: null, e: DESC, l: [1, [2]], o: { a: { b: "c" } }) { x } }');
    expect(parsed.ok && parsed.selections[0]!.arguments).toEqual({ s: 'a "b" é', n: -150, t: true, f: false, z: null, e: 'DESC', l: [1, [2]], o: { a: { b: 'c' } } });
  });

  it('keeps aliases as the response key, and skips commas and comments', () => {
    const parsed = parseGraphqlQuery('# list\n{ a: organizations(pagination: {page: 1, page_size: 1}), b: __typename }');
    expect(parsed.ok && parsed.selections.map(({ key, name }) => [key, name])).toEqual([
      ['a', 'organizations'],
      ['b', '__typename'],
    ]);
  });

  it('takes an object key __proto__ as an ordinary name', () => {
    const parsed = parseGraphqlQuery('{ f(o: { __proto__: 1 }) { x } }');
    const argument = parsed.ok ? (parsed.selections[0]!.arguments['o'] as Record<string, unknown>) : {};
    expect(Object.keys(argument)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(argument)).toBe(Object.prototype);
  });

  it.each([
    ['a mutation', 'mutation { create_field { id } }', 'The sandbox serves queries only; found a mutation.'],
    ['a fragment spread', '{ fields { ...F } }', 'Fragments are not supported by the sandbox.'],
    ['a fragment definition', '{ a } fragment F on Field { name }', 'Fragments are not supported by the sandbox.'],
    ['a directive', '{ a @include(if: true) }', 'Directives are not supported by the sandbox.'],
    ['an unclosed selection', '{ organizations(', 'Syntax Error: Unexpected end of the document.'],
    ['an empty selection', '{ }', 'Syntax Error: a selection set may not be empty.'],
    ['a stray character', '{ a % }', 'Syntax Error: Unexpected character "%" at offset 4.'],
    ['an unterminated string', '{ a(s: "x) }', 'Syntax Error: Unterminated string at offset 7.'],
    ['a second operation', '{ a } { b }', 'Syntax Error: Unexpected "{" at offset 6; the sandbox takes one operation per request.'],
  ])('refuses %s, saying why', (_name, query, message) => {
    expect(parseGraphqlQuery(query)).toEqual({ ok: false, message });
  });

  it('refuses queries nested deeper than 32 levels', () => {
    const deep = `${'{ a '.repeat(40)}${'}'.repeat(40)}`;
    expect(parseGraphqlQuery(deep)).toMatchObject({ ok: false, message: expect.stringContaining('deeper than 32') });
  });
});
