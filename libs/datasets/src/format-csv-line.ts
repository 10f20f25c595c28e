import { stringify } from 'csv-stringify/sync';

/**
 * One CSV line (without its line end) that {@link parseCsv} reads back as `fields`: a field is
 * quoted only when it holds a comma, a quote (doubled) or a line break.
 */
export function formatCsvLine(fields: readonly string[]): string {
  return stringify([fields], { eof: false });
}
