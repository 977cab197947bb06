/**
 * For test/api.test.ts's private-route guard: the dev app as bin/connect.ts builds it (buildConnectApp) with two
 * faults in its REST API, a method added outside the route table (DELETE /notifications) and a private route without
 * its authorizer and scopes (GET /notifications/{id}), and the message its synth throws. The guard reports every
 * method it finds wrong, so one synth answers for both faults. Built by the global setup's child after the shipped
 * app (after-assembly-work.ts): ~1.2 s of CPU less in api.test's worker, which no longer loads the app's modules.
 */
import { afterAssembly } from './after-assembly';

export const ROUTE_GUARD_FAULTS = 'route-guard-faults';

/** Throws what the faulty app's synth threw (nothing when it passed); synthesizes nothing itself. */
export function synthesizeFaultyApp(): void {
  const thrown = afterAssembly<string | null>(ROUTE_GUARD_FAULTS).value;
  if (thrown !== null) throw new Error(thrown);
}
