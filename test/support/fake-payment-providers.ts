/** Moved to local/stand-ins/payment-providers.ts (local mode's Khipu and WebPay stand-ins); kept so test imports stay short. */
export * from '../../local/stand-ins/payment-providers';
