import { z } from 'zod';
import { httpsUrl } from './fields';

/** The Modyo account the environment integrates with (`modyo`). */
export const ModyoConfig = z.strictObject({
  /** The Modyo account URL, e.g. https://acme.modyo.cloud */
  accountUrl: httpsUrl,
  /** Admin API paths differ per account (Modyo publishes them in each account's /api/admin/docs). */
  adminApiRoutes: z.record(z.string(), z.string().startsWith('/')).default({}),
  messagingPath: z.string().startsWith('/').optional(),
});
