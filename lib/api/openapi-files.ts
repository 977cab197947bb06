import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnvironmentConfigs } from '../config/load';
import { RESOURCE_SERVER_IDENTIFIER } from '../stacks/identity-stack';
import { openApiDocument } from './openapi';

const ROOT = join(__dirname, '..', '..');
/** Where the committed documents live: one `<env>.json` per environment config. */
export const OPENAPI_DIR = join(ROOT, 'docs', 'openapi');

/** The scope string a token carries for a short scope name (the identity stack's resource server). */
export const fullScope = (name: string): string => `${RESOURCE_SERVER_IDENTIFIER}/${name}`;

/** Every environment's document, as the text written to docs/openapi/<env>.json. */
export function openApiDocumentsByEnvironment(): Record<string, string> {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return Object.fromEntries(
    loadEnvironmentConfigs(join(ROOT, 'config')).map((config) => [config.name, `${JSON.stringify(openApiDocument(config, fullScope, version), null, 2)}\n`]),
  );
}
