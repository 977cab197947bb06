/**
 * Writes the OpenAPI document of every environment to docs/openapi/<env>.json (`npm run openapi`), from the route
 * table and the handlers' schemas. test/openapi.test.ts fails when a committed document is out of date.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { openApiDocumentsByEnvironment, OPENAPI_DIR } from '../lib/api/openapi-files';

mkdirSync(OPENAPI_DIR, { recursive: true });
for (const [environment, text] of Object.entries(openApiDocumentsByEnvironment())) {
  const file = join(OPENAPI_DIR, `${environment}.json`);
  writeFileSync(file, text);
  console.log(`wrote ${relative(process.cwd(), file)}`);
}
