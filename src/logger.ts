/**
 * Structured JSON logs (pino). Secrets are kept out of logs by construction (requests are logged
 * as method, url, status and time; bodies and headers never); redaction of the usual names is
 * the safety net for a careless object, at the top level and one level down.
 */
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';

const SECRET_FIELDS = ['password', 'authorization', 'access_token', 'refresh_token', 'client_secret', 'clientSecret', 'accessToken', 'refreshToken', 'apiKey', 'secret', 'id_token', 'masterKey', 'secretAccessKey'];

export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers.cookie', ...SECRET_FIELDS];

export function createLogger(level: Config['logLevel'], destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'furrow' } }, destination);
}
