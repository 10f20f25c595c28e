import { AppError, type CallOptions } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';

/** The stored view named `name`; `not_found` (naming `field`, when given) when there is none. */
export async function loadFeatureView(
  views: Collection<FeatureViewRecord>,
  name: string,
  options: CallOptions = {},
  field?: string,
): Promise<FeatureViewRecord> {
  const doc = await views.get(name, options);
  if (!doc) {
    throw new AppError('not_found', `${field ? `${field}: ` : ''}feature view "${name}" not found`, {
      ...(field ? { field } : {}),
    });
  }
  return doc.data;
}
