import { toDeliveryDto } from '@/lib/data/alerts';
import { getDelivery } from '@/lib/alerts';
import { errorResponse, jsonResponse, withStaff } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** A delivery id: digits, no sign, within the bigint column (18 digits stay below its maximum). */
const DELIVERY_ID = /^[1-9]\d{0,17}$/;

/** One delivery's outcome (ADMIN): "Send test" polls it until it is delivered or failed. */
export const GET = withStaff<{ id: string }>('ADMIN', 'VIEW_NOTIFICATIONS', async ({ params, db }) => {
  if (!DELIVERY_ID.test(params.id)) return errorResponse('VALIDATION', 'A delivery id is a positive whole number.');
  const delivery = await getDelivery(db, params.id);
  if (!delivery) return errorResponse('NOT_FOUND', `Delivery ${params.id} does not exist.`);
  return jsonResponse({ delivery: toDeliveryDto(delivery) });
});
