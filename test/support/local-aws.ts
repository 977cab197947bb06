/** Moved to local/aws-servers.ts (local mode and the tests share the local AWS servers); kept so test imports stay short. */
export * from '../../local/aws-servers';
