import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats, { type FormatsPlugin } from 'ajv-formats';
import type { ApiResponse } from './helpers.js';

// A CommonJS module: imported from ESM, its default export is the whole module.exports.
const addFormats = ((ajvFormats as unknown as { default?: FormatsPlugin }).default ?? ajvFormats) as FormatsPlugin;

/** JSON Pointer segment, then URI-fragment encoded (paths hold `/`, `{` and `}`). */
const segment = (key: string) => encodeURIComponent(key.replace(/~/g, '~0').replace(/\//g, '~1'));

/**
 * Checks real responses against the served OpenAPI document: the status must be one the
 * operation documents, and the body must match its JSON Schema (JSON Schema 2020-12, as OpenAPI
 * 3.1 says). Returns the problems found, empty when the response is as documented.
 */
export function responseChecker(doc: any) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...doc, $id: 'openapi.json' });

  return (method: string, path: string, res: ApiResponse): string[] => {
    const operation = doc.paths[path]?.[method.toLowerCase()];
    if (!operation) return [`${method} ${path} is not in the document`];
    const documented = operation.responses[String(res.status)];
    if (!documented) return [`${method} ${path} answered ${res.status}, which it does not document`];
    const schema = documented.content?.['application/json']?.schema;
    if (!schema) return res.text === '' ? [] : [`${method} ${path} ${res.status} documents no body but sent one`];
    const pointer = ['paths', path, method.toLowerCase(), 'responses', String(res.status), 'content', 'application/json', 'schema'].map(segment).join('/');
    const validate = ajv.getSchema(`openapi.json#/${pointer}`);
    if (!validate) return [`no schema at ${pointer}`];
    if (validate(res.body)) return [];
    return (validate.errors ?? []).map((e) => `${method} ${path} ${res.status}: ${e.instancePath || '(body)'} ${e.message ?? ''}`);
  };
}
