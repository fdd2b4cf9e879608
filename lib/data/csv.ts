import 'server-only';
import { stringify } from 'csv-stringify/sync';
import { log } from '@/lib/log';

export interface CsvColumn<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
}

/**
 * Streams a CSV download built batch by batch, so an export of every filtered row (all pages)
 * never holds the whole list in memory. Cells starting with =, +, -, @, tab or CR get a leading
 * apostrophe (csv-stringify's escape_formulas), so a spreadsheet never evaluates learner-supplied
 * text as a formula.
 */
export function csvResponse<T>(filename: string, columns: CsvColumn<T>[], batches: AsyncIterable<T[]>): Response {
  const encoder = new TextEncoder();
  const iterator = batches[Symbol.asyncIterator]();
  let headerSent = false;

  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!headerSent) {
          headerSent = true;
          controller.enqueue(encoder.encode(stringify([columns.map((c) => c.header)], { escape_formulas: true })));
          return;
        }
        // A pull that enqueues nothing is never followed by another pull: skip empty batches
        // here, or an export with no rows would never end.
        for (;;) {
          const next = await iterator.next();
          if (next.done) {
            controller.close();
            return;
          }
          const records = next.value.map((row) => columns.map((c) => c.value(row) ?? ''));
          if (records.length) {
            controller.enqueue(encoder.encode(stringify(records, { escape_formulas: true })));
            return;
          }
        }
      } catch (err) {
        log.error({ err, filename }, 'export failed');
        controller.error(new Error('Export failed'));
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });

  return new Response(stream, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${filename}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

/** A file-name-safe timestamp, e.g. 2026-11-21T17-05-09Z. */
export function fileStamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}
