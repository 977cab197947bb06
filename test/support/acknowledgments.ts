/**
 * The compliance acknowledgments recorded on a construct tree, with the construct each sits on. Read by the global
 * setup's synth (synth-assembly.ts) from the app it synthesizes and written beside the assembly, so the test of
 * acknowledgments reads the same tree without building every environment again in its worker (~3 s of CPU).
 * Walked on the tree, not read from the assembly's metadata: an acknowledgment on a Stage or the App is in no
 * stack's metadata, and the test must see it.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export interface Acknowledged {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** The file beside the assembly that holds them (synth-assembly.ts writes it, assembly.ts reads it). */
export const ACKNOWLEDGMENTS_FILE = 'acknowledgments.json';

/** Every acknowledgment recorded on the tree under `root`. */
export function acknowledgmentsOf(root: IConstruct): Acknowledged[] {
  const found: Acknowledged[] = [];
  const visit = (construct: IConstruct) => {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      // Recorded as { "<Plugin>::<rule id>": reason }; CDK's own acknowledgments (CloudFormation-Validate::) are not ours.
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        if (!id.startsWith('CloudFormation-Validate::')) found.push({ path: construct.node.path, id, reason });
      }
    }
    construct.node.children.forEach(visit);
  };
  visit(root);
  return found;
}
