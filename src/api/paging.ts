/**
 * Leaf's paging on the wire: `page`, `size`, repeatable `sort=field,dir`; answers carry
 * `X-Total-Count` and an RFC 8288 `Link` header with first, prev, next and last.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_PAGE_SIZE, FurrowError, MAX_PAGE_SIZE, type Page, type PageRequest, type PagingQuery, type SortOrder } from '../domain/index.js';

/** Query-string properties for paged lists; merge into a route's querystring schema. */
export const pagingQuery = {
  page: Type.Optional(Type.Integer({ minimum: 0, description: 'Page number, from 0.' })),
  size: Type.Optional(Type.Integer({ minimum: 1, description: `Page size, default ${DEFAULT_PAGE_SIZE}; values above ${MAX_PAGE_SIZE} are capped at ${MAX_PAGE_SIZE}, as Leaf does.` })),
  sort: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: 'field[,asc|desc], repeatable; earlier ones take precedence.' })),
};


/**
 * Parses paging parameters. `size` above the maximum is capped (Leaf's Spring behaviour, so clients
 * asking for 500 still work); a sort on a field the list cannot sort by is a 400 naming the choices.
 */
export function parsePageRequest<F extends string>(query: PagingQuery, sortable: readonly F[], fallback: SortOrder<F>[]): PageRequest<F> {
  const sorts = query.sort === undefined ? [] : Array.isArray(query.sort) ? query.sort : [query.sort];
  const sort: SortOrder<F>[] = [];
  for (const raw of sorts) {
    const [field = '', dir = 'asc', ...rest] = raw.split(',').map((s) => s.trim());
    const direction = dir.toLowerCase();
    if (!(sortable as readonly string[]).includes(field) || (direction !== 'asc' && direction !== 'desc') || rest.length > 0) {
      throw new FurrowError('invalid_paging', `Cannot sort by "${raw}": expected field[,asc|desc] with field one of ${sortable.join(', ')}.`, {
        fieldErrors: [{ field: 'query.sort', message: `must be one of ${sortable.join(', ')}, optionally followed by ,asc or ,desc` }],
      });
    }
    sort.push({ field: field as F, direction });
  }
  return {
    page: query.page ?? 0,
    size: Math.min(query.size ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    sort: sort.length > 0 ? sort : fallback,
  };
}

/** Sets `X-Total-Count` and `Link`, keeping the request's other query parameters. */
export function sendPage<T>(request: FastifyRequest, reply: FastifyReply, pageRequest: PageRequest, page: Page<T>): T[] {
  const url = new URL(request.url, 'http://furrow.invalid');
  const last = Math.max(0, Math.ceil(page.total / pageRequest.size) - 1);
  const link = (p: number, rel: string) => {
    url.searchParams.set('page', String(p));
    url.searchParams.set('size', String(pageRequest.size));
    return `<${url.pathname}?${url.searchParams.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pageRequest.page < last) links.push(link(pageRequest.page + 1, 'next'));
  if (pageRequest.page > 0) links.push(link(Math.min(pageRequest.page - 1, last), 'prev'));
  links.push(link(last, 'last'), link(0, 'first'));
  reply.header('X-Total-Count', String(page.total));
  reply.header('Link', links.join(','));
  return page.items;
}
