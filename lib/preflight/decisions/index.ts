/**
 * Preflight's decisions: pure functions from the synthesized environment, its config and what the account answered
 * (lib/preflight/aws.ts reads that) to a result per check. No AWS call here, so each rule is plain to read and test.
 */

export * from './check';
export * from './credentials';
export * from './bootstrap';
export * from './concurrency';
export * from './chat';
export * from './hosted-zone';
export * from './secrets';
export * from './images';
export * from './subscriptions';
