/**
 * Two Ajv instances: bodies are validated strictly (a string where a number belongs is a 400,
 * never coerced), while path and query values, which arrive as text, are coerced to their types.
 * `allErrors` so one 400 names every bad field; unknown properties are ignored, as Leaf does.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats ships CommonJS with a default export that NodeNext types as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

const strict = makeAjv(false);
const coercing = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : coercing;
  // Fastify reads `validate.errors` when the function returns false and names the part it checked.
  return ajv.compile(schema as object) as ValidateFunction;
};
