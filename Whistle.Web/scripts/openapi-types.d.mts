// Types of openapi-types.mjs (a plain module, so `npm run api:types` runs in Node without a compile step).
export function normaliseDocument(document: Record<string, unknown>): Record<string, unknown>
export function documentText(document: Record<string, unknown>): string
export function schemaText(document: Record<string, unknown>): Promise<string>
