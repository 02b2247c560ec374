import { describe, expect, it } from 'vitest'
import { documentText, schemaText } from '../scripts/openapi-types.mjs'
import snapshot from '../src/api/openapi.json?raw'
import committed from '../src/api/schema.d.ts?raw'

// The API's types are generated (issue 13): src/api/openapi.json is the served /openapi/v1.json (normalised) and
// src/api/schema.d.ts its TypeScript. The .NET spec When_the_openapi_document_is_read checks the first against the API;
// this one checks the second against the first. Either fails until `npm run api:types` has been run and committed.
const REGENERATE = 'run `cd Whistle.Web && npm run api:types` (or `npm run api:types -- --from-snapshot`) and commit both files'

describe('the generated API types', () => {
  const document = JSON.parse(snapshot) as Record<string, unknown>

  it('are generated from a normalised snapshot (no server address, maps in name order)', () => {
    expect(document.servers, 'the snapshot names no host or port').toBeUndefined()
    expect(snapshot === documentText(document), `src/api/openapi.json is not in its normalised form: ${REGENERATE}`).toBe(true)
  })

  it('match src/api/schema.d.ts as openapi-typescript writes it from the snapshot', async () => {
    const generated = await schemaText(document)
    if (generated !== committed) {
      const a = generated.split('\n')
      const b = committed.split('\n')
      const line = a.findIndex((l, i) => l !== b[i])
      expect.fail(
        `src/api/schema.d.ts has drifted from src/api/openapi.json (first difference at line ${line + 1}: ` +
          `generated ${JSON.stringify(a[line])}, committed ${JSON.stringify(b[line])}): ${REGENERATE}`,
      )
    }
  }, 60_000)
})
