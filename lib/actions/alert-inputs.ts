import { z } from 'zod';
import { channelNameSchema } from '@/lib/alerts';
import { jobIdSchema, plainObject } from '@/lib/sync/validation';

/**
 * Inputs of the alert actions that name something that exists (a channel by name, a maintenance
 * window by id). The engine answers NOT_FOUND for a well-formed name that matches nothing; these
 * refuse what could never be one: another type, empty or overlong text, control characters.
 */

export const channelByNameSchema = plainObject(z.strictObject({ name: channelNameSchema }));

export const windowByIdSchema = plainObject(z.strictObject({ id: jobIdSchema }));
