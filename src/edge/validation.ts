import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { HttpError } from './errors';

/** JSON bodies: strict schemas, no coercion, no defaults filled in. */
const bodyAjv = addFormats(new Ajv({ strict: true, allErrors: true, coerceTypes: false, useDefaults: false }));
/** Path and query parameters arrive as text: numbers in them are read as numbers. */
const paramAjv = addFormats(new Ajv({ strict: true, allErrors: true, coerceTypes: true, useDefaults: true }));

/** Any JSON Schema (TypeBox's included). */
export type Schema = Record<string, unknown>;
export type Validator = (value: unknown) => void;

function describe(errors: ErrorObject[] | null | undefined) {
  return (errors ?? []).map((e) => ({
    path: e.instancePath || '/',
    message:
      e.keyword === 'additionalProperties'
        ? `unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`
        : (e.message ?? 'is invalid'),
  }));
}

function validator(validate: ValidateFunction, where: string): Validator {
  return (value) => {
    if (!validate(value)) {
      const details = describe(validate.errors);
      throw new HttpError(400, 'invalid_request', `${where}: ${details[0]?.path} ${details[0]?.message}`, details);
    }
  };
}

export const bodyValidator = (schema: Schema, where = 'body'): Validator => validator(bodyAjv.compile(schema), where);
export const paramValidator = (schema: Schema, where: string): Validator => validator(paramAjv.compile(schema), where);
