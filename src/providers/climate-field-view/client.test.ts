import { describe, expect, it } from 'vitest';
import type { HttpResult } from '../provider.js';
import { classifyClimateError } from './client.js';

const result = (purpose: HttpResult['purpose'], status: number, body = '', headers: Record<string, string> = {}): HttpResult => ({ purpose, status, headers, body });
const climateError = (message: string) => JSON.stringify({ error: { id: '00000000-0000-0000-0000-000000000000', code: 'Forbidden', message } });

describe("classifying Climate FieldView's answers (providers.md 0.3 and 3.2)", () => {
  it.each([
    ['token 400 invalid_grant (a rotated token after its hour)', result('token', 400, '{"error":"invalid_grant","error_description":"Provided Authorization Grant is invalid"}'), 'auth_revoked'],
    ['token 400 invalid_scope', result('token', 400, '{"error":"invalid_scope","error_description":"Invalid Scope!"}'), 'forbidden_scope'],
    ['token 401', result('token', 401, '{"error":"invalid_client"}'), 'auth_revoked'],
    ['API 401', result('api', 401, '{"message":"Unauthorized"}'), 'auth_expired'],
    ['API 403 from the gateway (X-Api-Key refused)', result('api', 403, '{"message":"Forbidden"}'), 'auth_revoked'],
    ['API 403 Permission error', result('api', 403, climateError('Permission error')), 'forbidden_scope'],
    ['API 409 (X-Next-Token expired)', result('api', 409, climateError('expired')), 'permanent'],
    ['API 429 Too Many Requests', result('api', 429, '{"message":"Too Many Requests"}'), 'rate_limited'],
    ['API 429 Limit Exceeded', result('api', 429, '{"message":"Limit Exceeded"}'), 'rate_limited'],
    ['API 503 Server Busy', result('api', 503, climateError('Server Busy')), 'retry_later'],
    ['API 404', result('api', 404), 'not_found'],
  ])('%s is %s', (_name, answer, errorClass) => {
    expect(classifyClimateError(answer)?.errorClass).toBe(errorClass);
  });

  it('leaves 200, 206 and 304 unclassified', () => {
    for (const status of [200, 206, 304]) expect(classifyClimateError(result('api', status))).toBeUndefined();
  });

  it('reads Retry-After from 429 and 503 answers', () => {
    expect(classifyClimateError(result('api', 503, '', { 'retry-after': '5' }))).toMatchObject({ errorClass: 'retry_later', retryAfterMs: 5_000 });
    expect(classifyClimateError(result('api', 429, '{"message":"Too Many Requests"}', { 'retry-after': '3' }))).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 3_000 });
  });

  it('says why: the refused API key, the monthly quota, the expired next token', () => {
    expect(classifyClimateError(result('api', 403, '{"message":"Forbidden"}'))?.reason).toBe('API answered 403: Forbidden (the X-Api-Key was missing or not accepted)');
    expect(classifyClimateError(result('api', 429, '{"message":"Limit Exceeded"}'))?.reason).toContain('monthly quota');
    expect(classifyClimateError(result('api', 409, climateError('expired')))?.reason).toContain('X-Next-Token expired');
  });
});
