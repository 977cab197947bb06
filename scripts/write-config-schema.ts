/** Writes config/schema.json from the zod schema, so editors check config files as SREs type. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { EnvironmentConfig } from '../lib/config/schema';

export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(EnvironmentConfig, { io: 'input', unrepresentable: 'any' }),
    title: 'Connect environment configuration',
  };
}

if (require.main === module) {
  const path = join(__dirname, '..', 'config', 'schema.json');
  writeFileSync(path, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  console.log(`wrote ${path}`);
}
