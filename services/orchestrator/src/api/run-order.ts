import { AppError } from '@flywheel/core';

/** ListRunsRequest.order_by parsed: empty → newest first; else by one metric. */
export type RunOrder = { kind: 'newest' } | { kind: 'metric'; metric: string; descending: boolean };

const metricOrder = /^metrics\.([A-Za-z0-9_.:-]{1,128})(?:\s+(asc|desc))?$/;

/** Parses `order_by`; anything but `metrics.<name> [asc|desc]` is INVALID_ARGUMENT naming `order_by`. */
export function parseRunOrder(orderBy: string): RunOrder {
  const text = orderBy.trim();
  if (text === '') return { kind: 'newest' };
  const match = metricOrder.exec(text);
  if (!match) {
    throw AppError.invalidArgument(
      'order_by',
      `"${orderBy}" is not supported: use "metrics.<name>" then "asc" or "desc" (e.g. "metrics.roc_auc desc"), or leave it empty for newest first`,
    );
  }
  return { kind: 'metric', metric: match[1]!, descending: match[2] !== 'asc' };
}
