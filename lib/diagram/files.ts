/** Where the committed diagrams live, and the DOT of one environment (what the script writes and the test compares). */
import { join } from 'node:path';
import type { EnvironmentStack } from '../preflight/assembly';
import { toDot } from './dot';
import { buildGraph } from './graph';

export const DIAGRAMS_DIR = join(__dirname, '..', '..', 'docs', 'diagrams');

export function environmentDot(environment: string, stacks: readonly EnvironmentStack[]): string {
  return toDot(buildGraph(environment, stacks));
}
