/**
 * The online-read quality flushes of one view: collection `quality-flushes`, id = view name. Each
 * flush with a violation writes it once, carrying that flush's `data-quality.violated` events in
 * its outbox (the store's atomic outbox is how the service publishes).
 */
export interface QualityFlushRecord {
  readonly view: string;
  /** Flushes that reported a violation, ever. */
  readonly flushes: number;
  /** End of the last such flush interval, RFC 3339. */
  readonly lastFlushTime: string;
  /** Latest event time (epoch ms) the view was last reported stale at, per freshness expectation index. */
  readonly staleReported?: readonly (readonly [number, number])[];
}
