import { z } from 'zod';

/** `:id` of an admin route about one client or person (the API and the console take the same ids). */
export const idParams = z.object({ id: z.string().min(1).max(128) });
