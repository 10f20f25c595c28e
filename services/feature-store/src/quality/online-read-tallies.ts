import {
  countChecked,
  countViolation,
  emptyTally,
  settleNullTolerance,
  type ViolationTally,
  violationOf,
} from '@flywheel/quality';
import type { StoredValue } from '../values/feature-values.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';

/** What online reads of one view saw since the last drain. */
export interface OnlineReadTallies {
  /** The view as last read (its expectations are what was checked). */
  readonly view: FeatureViewRecord;
  /** One tally per expectation of `view`. */
  readonly tallies: ViolationTally[];
}

/**
 * In-memory tallies of the values online reads served, per view and expectation, until drained
 * (each flush interval). Lost if the process dies before a flush: these are warnings about served
 * traffic, not a record of it. Online reads never withhold a value for an expectation.
 */
export interface OnlineReadQuality {
  /**
   * Checks one served value (`value` undefined when the entity has no value for the feature, null
   * when its latest value is null) with its event time against the view's expectations of
   * `feature`, and its freshness once per entity (`feature` = the first one read of the view).
   */
  observe(
    view: FeatureViewRecord,
    feature: string,
    value: StoredValue | undefined,
    timeMs: number,
    nowMs: number,
    checkFreshness: boolean,
  ): void;
  /** Everything tallied since the last drain, and starts afresh. */
  drain(): OnlineReadTallies[];
}

/** An empty {@link OnlineReadQuality}. */
export function createOnlineReadQuality(): OnlineReadQuality {
  let byView = new Map<string, OnlineReadTallies>();
  return {
    observe(view, feature, value, timeMs, nowMs, checkFreshness) {
      const expectations = view.expectations ?? [];
      if (expectations.length === 0 || value === undefined) return;
      let entry = byView.get(view.name);
      if (!entry || entry.view.revision !== view.revision) {
        // A re-applied view starts new tallies: its expectations may have changed.
        entry = { view, tallies: expectations.map(() => emptyTally()) };
        byView.set(view.name, entry);
      }
      expectations.forEach((expectation, i) => {
        const isFreshness = expectation.kind === 'freshness';
        if (isFreshness ? !checkFreshness : expectation.feature !== feature) return;
        const tally = entry.tallies[i]!;
        countChecked(tally, timeMs);
        const found = violationOf(expectation, isFreshness ? null : value, timeMs, nowMs);
        if (!found) return;
        if (expectation.kind === 'not_null') tally.nulls++;
        countViolation(tally, value, found);
      });
    },
    drain() {
      const drained = [...byView.values()];
      byView = new Map();
      for (const { view, tallies } of drained) settleNullTolerance(view.expectations ?? [], tallies);
      return drained;
    },
  };
}
