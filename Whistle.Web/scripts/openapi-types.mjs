// The one way Whistle.Web turns the API's OpenAPI document into TypeScript (used by `npm run api:types` and by the
// drift spec tests/apiTypes.test.ts, so both produce the same text byte for byte).
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript'

/**
 * The committed snapshot of /openapi/v1.json: the served document without `servers` (the address it was read from —
 * a host and port that change with every start) and with the document's maps (paths, component kinds) in name order,
 * so that the file is the same wherever and whenever it is read and two additions merge as two separate hunks.
 */
export function normaliseDocument(document) {
  const sorted = (map) => (map && typeof map === 'object' ? Object.fromEntries(Object.keys(map).sort().map((k) => [k, map[k]])) : map)
  const { servers: _servers, ...rest } = document
  const out = { ...rest, paths: sorted(rest.paths) }
  if (rest.components) out.components = Object.fromEntries(Object.entries(rest.components).map(([k, v]) => [k, sorted(v)]))
  return out
}

/** The snapshot's text: two-space JSON with a final newline. */
export function documentText(document) {
  return JSON.stringify(normaliseDocument(document), null, 2) + '\n'
}

/** src/api/schema.d.ts from a (normalised) document. */
export async function schemaText(document) {
  const ast = await openapiTS(structuredClone(document), { alphabetize: true, defaultNonNullable: false, silent: true })
  return COMMENT_HEADER + '// Regenerate with `npm run api:types` (see README, "Developing"); never edit by hand.\n\n' + astToString(ast)
}
