// Skyvern's paging: `page` (from 1) and `page_size` query parameters; list answers are bare arrays.
import { z } from 'zod';

/** The most items one page may hold. */
export const MAX_PAGE_SIZE = 100;

/** `page` and `page_size` query parameters (defaults 1 and 10, `page_size` at most 100). */
export const PageQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1).describe('Page number, from 1.'),
  page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(10).describe('Items per page, 1 to 100.'),
});
/** Parsed paging parameters. */
export type PageQuery = z.infer<typeof PageQuerySchema>;
