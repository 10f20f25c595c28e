/**
 * The skew checks of one deployment: collection `skew-checks`, id = deployment name. Remembers the
 * `prediction.logged` batches it judged (the last 1 000), so a redelivered batch emits no second
 * `skew.detected`, and carries those events in its outbox.
 */
export interface SkewCheckRecord {
  readonly deploymentName: string;
  readonly modelName: string;
  readonly eventIds: readonly string[];
  /** Per feature reference: the last batch's mismatch rate and values compared. */
  readonly latest: Readonly<Record<string, { mismatchRate: number; compared: number; eventId: string }>>;
}
