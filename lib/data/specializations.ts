import 'server-only';
import { cache } from 'react';
import { getDb } from '@/lib/db/server';

/** The specializations, for filters and chart axes (a handful of rows). */
export const listSpecializations = cache(async (): Promise<{ id: string; name: string }[]> => {
  return getDb().specialization.findMany({ select: { id: true, name: true }, orderBy: { id: 'asc' } });
});
