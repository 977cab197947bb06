/** Moved to local/apigw-event.ts (local mode builds the same proxy events); kept so test imports stay short. */
export * from '../../local/apigw-event';
