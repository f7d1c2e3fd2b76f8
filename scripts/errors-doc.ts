/**
 * Regenerates docs/errors.md from the catalogue: `npx tsx scripts/errors-doc.ts > docs/errors.md`.
 * A test fails when the two disagree, so the document cannot drift.
 */
import { STATUS_BY_CODE } from '../src/api/problem.js';
import { ERROR_CODES, type ErrorCode } from '../src/domain/errors.js';

const lines = [
  '# Error codes',
  '',
  'Every error answer is `application/problem+json` in the shape Leaf uses:',
  '`{ type, title, status, detail, path, message, errorKey, requestId, fieldErrors? }`.',
  '`errorKey` is one of the stable codes below; `fieldErrors` (validation errors) names each bad',
  'field as `body.x`, `query.x` or `params.x`. Quote `requestId` when reporting a problem: it is the',
  '`reqId` of the matching log lines and is echoed in the `X-Request-Id` response header.',
  '',
  '| code | status | meaning and what to do |',
  '| --- | --- | --- |',
  ...(Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => `| \`${code}\` | ${STATUS_BY_CODE[code]} | ${ERROR_CODES[code]} |`),
  '',
];
process.stdout.write(lines.join('\n'));
