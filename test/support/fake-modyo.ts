/** Moved to local/stand-ins/modyo.ts (local mode's Modyo stand-in); kept so test imports stay short. */
export * from '../../local/stand-ins/modyo';
