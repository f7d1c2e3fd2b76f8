/** Leaf's Spring-style paging: `page` from 0, `size` default 20 and at most 100, `sort=field,asc|desc`. */

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface SortOrder<F extends string = string> {
  field: F;
  direction: 'asc' | 'desc';
}

export interface PageRequest<F extends string = string> {
  page: number;
  size: number;
  /** Earlier entries take precedence, as Leaf documents for repeated `sort` parameters. */
  sort: SortOrder<F>[];
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** Paging parameters as they arrive in a query string. */
export interface PagingQuery {
  page?: number;
  size?: number;
  sort?: string | string[];
}
