/** Writes config/schema.json from the zod schema, so editors check config files as SREs type. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DeliveryConfig } from '../lib/config/delivery';
import { EnvironmentConfig } from '../lib/config/schema';

export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(EnvironmentConfig, { io: 'input', unrepresentable: 'any' }),
    title: 'Connect environment configuration',
  };
}

/** The schema of config/delivery.json (lib/config/delivery.ts). */
export function deliveryJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(DeliveryConfig, { io: 'input', unrepresentable: 'any' }),
    title: 'Connect delivery configuration',
  };
}

if (require.main === module) {
  for (const [file, schema] of [['schema.json', configJsonSchema()], ['delivery.schema.json', deliveryJsonSchema()]] as const) {
    const path = join(__dirname, '..', 'config', file);
    writeFileSync(path, `${JSON.stringify(schema, null, 2)}\n`);
    console.log(`wrote ${path}`);
  }
}
