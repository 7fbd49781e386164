// The OpenAPI document the typed client is generated from, and the generator and linters run over it.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, run } from './server-process.js';

export const SUITE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The committed snapshot of the served document (the lead's OpenAPI contract test keeps it equal to what is served). */
export const COMMITTED_DOCUMENT = path.join(REPO_ROOT, 'openapi/v1.json');
export const GENERATED_DIR = path.join(SUITE_DIR, 'generated');
export const GENERATED_TYPES = path.join(GENERATED_DIR, 'ably-auth-server.d.ts');
export const SERVED_DOCUMENT_PATH = '/swagger/v1/swagger.json';

const TOOL_TIMEOUT_MS = 120_000;
const bin = (name) => path.join(SUITE_DIR, 'node_modules/.bin', name);

/**
 * The document to generate types from and lint: openapi/v1.json when the repo has it; until then the served
 * document, saved under generated/ (reported as `source: 'served'` so the test can say so).
 * @returns {Promise<{ path: string, source: 'committed' | 'served' }>}
 */
export async function documentForClients(baseUrl) {
  if (existsSync(COMMITTED_DOCUMENT)) {
    return { path: COMMITTED_DOCUMENT, source: 'committed' };
  }
  const response = await fetch(new URL(SERVED_DOCUMENT_PATH, baseUrl), { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) {
    throw new Error(`GET ${SERVED_DOCUMENT_PATH} answered ${response.status}`);
  }
  await mkdir(GENERATED_DIR, { recursive: true });
  const saved = path.join(GENERATED_DIR, 'served-v1.json');
  await writeFile(saved, await response.text());
  return { path: saved, source: 'served' };
}

/** `openapi-typescript <document> -o generated/ably-auth-server.d.ts` */
export async function generateTypes(documentPath) {
  await mkdir(GENERATED_DIR, { recursive: true });
  return run(bin('openapi-typescript'), [documentPath, '-o', GENERATED_TYPES], { cwd: SUITE_DIR, timeoutMs: TOOL_TIMEOUT_MS });
}

/** `tsc --noEmit -p <project>`: type-checks the JSDoc-typed client against the generated types. */
export function typecheck(project = 'tsconfig.json') {
  return run(bin('tsc'), ['--noEmit', '-p', project], { cwd: SUITE_DIR, timeoutMs: TOOL_TIMEOUT_MS });
}

/**
 * `npx @redocly/cli lint <document>` with the built-in recommended ruleset, nothing switched off: findings are fixed
 * in the server's Swashbuckle setup, not silenced. No redocly.yaml on purpose: openapi-typescript would read it too
 * and refuse to generate types while the document has lint errors. JSON output for per-finding reporting.
 */
export function lint(documentPath) {
  return run('npx', ['--no', '@redocly/cli', 'lint', documentPath, '--format=json'], {
    cwd: SUITE_DIR,
    timeoutMs: TOOL_TIMEOUT_MS,
    // No telemetry or update checks: the only network here is the package registries.
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
  });
}
