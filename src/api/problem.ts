/**
 * The HTTP edge's one mapping from Furrow error codes to statuses, and the problem+json body
 * (RFC 9457, in the JHipster shape Leaf answers with: `type, title, status, detail, path,
 * message, errorKey`, plus `fieldErrors` and `requestId`).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FurrowError, type ErrorCode, type FieldError } from '../domain/index.js';

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_failed: 400,
  malformed_json: 400,
  body_too_large: 413,
  unsupported_media_type: 415,
  invalid_paging: 400,
  authentication_required: 401,
  invalid_token: 401,
  provider_event_token_invalid: 401,
  bad_credentials: 401,
  not_found: 404,
  route_not_found: 404,
  external_id_taken: 409,
  id_mismatch: 400,
  configuration_invalid: 400,
  configuration_exists: 409,
  api_owner_exists: 409,
  credentials_invalid: 400,
  provider_not_implemented: 501,
  provider_unavailable: 503,
  provider_refused: 502,
  eventRegisteredTwice: 400,
  webhook_url_refused: 400,
  organization_blocked: 409,
  unsupported_file_format: 400,
  no_machine_data: 400,
  corrupt_file: 400,
  missing_file: 400,
  archive_limit_exceeded: 400,
  unsupported_operation_type: 400,
  no_points_passed_filter: 400,
  upload_too_large: 413,
  output_not_available: 404,
  merge_refused: 400,
  app_key_exists: 409,
  app_key_required: 409,
  magic_link_unusable: 410,
  oauth_state_invalid: 400,
  invalidGeometry: 400,
  field_exists: 409,
  provider_field_read_only: 400,
  master_key_mismatch: 500,
  secret_undecryptable: 500,
  service_unavailable: 503,
  internal_error: 500,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Leaf's (JHipster's) problem type URI, kept so clients that compare it keep working. */
export const PROBLEM_TYPE = 'https://www.jhipster.tech/problem/problem-with-message';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  path: string;
  message: string;
  errorKey: ErrorCode;
  requestId: string;
  fieldErrors?: FieldError[];
}

export function problemBody(error: FurrowError, request: FastifyRequest): ProblemBody {
  const status = STATUS_BY_CODE[error.code];
  const body: ProblemBody = {
    type: PROBLEM_TYPE,
    title: TITLES[status] ?? 'Error',
    status,
    detail: error.message,
    path: request.url.split('?')[0] ?? request.url,
    message: error.message,
    errorKey: error.code,
    requestId: String(request.id),
  };
  if (error.fieldErrors !== undefined) body.fieldErrors = error.fieldErrors;
  return body;
}

export function sendProblem(reply: FastifyReply, error: FurrowError): FastifyReply {
  return reply.status(STATUS_BY_CODE[error.code]).type('application/problem+json').send(problemBody(error, reply.request));
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Ajv's errors as one `FieldError` per field, with a message naming what was expected. */
export function fieldErrorsFromValidation(context: string, errors: AjvError[]): FieldError[] {
  const part = context === 'querystring' ? 'query' : context;
  const seen = new Set<string>();
  const result: FieldError[] = [];
  for (const e of errors) {
    let pointer = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
    if (e.keyword === 'required') pointer = [pointer, String(e.params.missingProperty)].filter(Boolean).join('.');
    const field = pointer === '' ? part : `${part}.${pointer}`;
    const message = e.keyword === 'required' ? 'is required' : e.keyword === 'type' ? `must be ${String(e.params.type)}` : (e.message ?? 'is invalid');
    const key = `${field}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push({ field, message });
  }
  return result;
}

/** Translates framework and unexpected errors into coded Furrow errors. */
export function toFurrowError(error: FastifyError | Error): FurrowError {
  if (error instanceof FurrowError) return error;
  const e = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (Array.isArray(e.validation)) {
    const fieldErrors = fieldErrorsFromValidation(e.validationContext ?? 'body', e.validation);
    const paging = fieldErrors.every((f) => /^query\.(page|size|sort)$/.test(f.field));
    return new FurrowError(paging ? 'invalid_paging' : 'validation_failed', `Invalid request: ${fieldErrors.map((f) => `${f.field} ${f.message}`).join('; ')}`, { fieldErrors });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new FurrowError('body_too_large', 'The request body is larger than this server accepts; send a smaller body or raise FURROW_BODY_LIMIT_BYTES.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new FurrowError('unsupported_media_type', 'Expected Content-Type: application/json for this route.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new FurrowError('malformed_json', 'The body is empty but Content-Type is application/json; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new FurrowError('malformed_json', `The body is not valid JSON: ${e.message}`);
    default:
      break;
  }
  if (e.statusCode === 400 && (e instanceof SyntaxError || /JSON/i.test(e.message))) {
    return new FurrowError('malformed_json', `The body is not valid JSON: ${e.message}`);
  }
  if (e.statusCode === 400) return new FurrowError('validation_failed', e.message);
  if (e.statusCode === 415) return new FurrowError('unsupported_media_type', e.message);
  if (e.statusCode === 413) return new FurrowError('body_too_large', e.message);
  return new FurrowError('internal_error', 'Internal error; quote the requestId when reporting it.', { cause: error });
}
