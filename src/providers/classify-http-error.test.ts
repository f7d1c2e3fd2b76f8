import { describe, expect, it } from 'vitest';
import { classifyHttpError, parseRetryAfter } from './classify-http-error.js';
import type { HttpResult } from './provider.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const result = (purpose: HttpResult['purpose'], status: number, body = '', headers: Record<string, string> = {}): HttpResult => ({ purpose, status, body, headers });

describe('classifying an HTTP answer', () => {
  it('is silent on success and redirects', () => {
    expect(classifyHttpError(result('api', 200))).toBeUndefined();
    expect(classifyHttpError(result('api', 307))).toBeUndefined();
  });

  it('treats a refused grant or a 401 from the token endpoint as revoked (RFC 6749 section 5.2, SPEC section 5)', () => {
    expect(classifyHttpError(result('token', 400, '{"error":"invalid_grant","error_description":"The refresh token is invalid or expired."}'))).toEqual({
      errorClass: 'auth_revoked',
      reason: 'token endpoint answered 400 invalid_grant',
    });
    expect(classifyHttpError(result('token', 401, '{"error":"invalid_client"}'))?.errorClass).toBe('auth_revoked');
    expect(classifyHttpError(result('token', 401, 'Unauthorized'))?.errorClass).toBe('auth_revoked');
    expect(classifyHttpError(result('token', 400, '{"error":"invalid_scope"}'))?.errorClass).toBe('forbidden_scope');
    expect(classifyHttpError(result('token', 400, '{"error":"invalid_request"}'))?.errorClass).toBe('permanent');
  });

  it('treats a 401 from the data API as an expired access token, and 403 as a missing scope', () => {
    expect(classifyHttpError(result('api', 401))?.errorClass).toBe('auth_expired');
    expect(classifyHttpError(result('api', 403))?.errorClass).toBe('forbidden_scope');
    expect(classifyHttpError(result('api', 404))?.errorClass).toBe('not_found');
    expect(classifyHttpError(result('api', 410))?.errorClass).toBe('not_found');
    expect(classifyHttpError(result('api', 422))?.errorClass).toBe('permanent');
  });

  it('reads Retry-After on 429 and 5xx, from either endpoint', () => {
    expect(classifyHttpError(result('api', 429, '{"message":"Too Many Requests"}', { 'retry-after': '30' }), NOW)).toEqual({
      errorClass: 'rate_limited',
      reason: 'API answered 429',
      retryAfterMs: 30_000,
    });
    expect(classifyHttpError(result('token', 503, '', { 'retry-after': 'Sun, 01 Mar 2026 12:01:00 GMT' }), NOW)).toMatchObject({ errorClass: 'retry_later', retryAfterMs: 60_000 });
    expect(classifyHttpError(result('api', 502))).toEqual({ errorClass: 'retry_later', reason: 'API answered 502' });
    expect(classifyHttpError(result('api', 408))?.errorClass).toBe('retry_later');
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP-dates, never negative, and nothing from garbage', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });
});
