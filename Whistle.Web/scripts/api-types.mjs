#!/usr/bin/env node
// npm run api:types — regenerates src/api/openapi.json (the API's OpenAPI document, normalised) and src/api/schema.d.ts
// (its TypeScript) from the API as it is built now.
//
//   npm run api:types                         starts Whistle.Api (SQLite in a temp folder, port chosen by the OS), reads
//                                             /openapi/v1.json, stops it
//   WHISTLE_API=http://localhost:5080 npm run api:types      reads a running API instead
//   npm run api:types -- --from-snapshot      only regenerates schema.d.ts from the committed openapi.json
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { documentText, schemaText } from './openapi-types.mjs'

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const snapshotPath = join(web, 'src/api/openapi.json')
const schemaPath = join(web, 'src/api/schema.d.ts')

async function readDocument(base) {
  const res = await fetch(new URL('/openapi/v1.json', base))
  if (!res.ok) throw new Error(`GET ${base}/openapi/v1.json answered ${res.status}`)
  return res.json()
}

async function fromStartedApi() {
  const data = mkdtempSync(join(tmpdir(), 'whistle-api-types-'))
  const child = spawn(
    'dotnet',
    ['run', '--project', join(web, '../Whistle.Api'), '--no-launch-profile', '-p:SkipWhistleWebBuild=true', '--', '--urls', 'http://127.0.0.1:0'],
    { env: { ...process.env, Whistle__Database__ConnectionString: `Data Source=${join(data, 'whistle.db')}` }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  try {
    const base = await new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error('Whistle.Api did not start within 5 minutes:\n' + output.slice(-4000))), 300_000)
      const onData = (chunk) => {
        output += chunk
        const m = /listening on:\s*(http:\/\/[^\s"]+)/i.exec(output)
        if (m) {
          clearTimeout(timer)
          res(m[1])
        }
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
      child.on('exit', (code) => rej(new Error(`Whistle.Api exited (${code}) before it listened:\n` + output.slice(-4000))))
    })
    return await readDocument(base)
  } finally {
    child.kill('SIGTERM')
    await new Promise((res) => (child.exitCode !== null ? res() : child.once('exit', res)))
    rmSync(data, { recursive: true, force: true })
  }
}

let document
if (process.argv.includes('--from-snapshot')) document = JSON.parse(readFileSync(snapshotPath, 'utf8'))
else {
  document = process.env.WHISTLE_API ? await readDocument(process.env.WHISTLE_API) : await fromStartedApi()
  writeFileSync(snapshotPath, documentText(document))
  document = JSON.parse(readFileSync(snapshotPath, 'utf8'))
  console.log(`wrote ${snapshotPath}`)
}
writeFileSync(schemaPath, await schemaText(document))
console.log(`wrote ${schemaPath}`)
