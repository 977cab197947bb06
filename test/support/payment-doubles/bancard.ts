/** Moved to local/stand-ins/payments/bancard.ts (local mode's stand-in); kept so test imports stay short. */
export * from '../../../local/stand-ins/payments/bancard';
