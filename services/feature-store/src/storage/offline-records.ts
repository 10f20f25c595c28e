/**
 * One chunk of a view's offline history: an immutable blob (JSON Lines or Parquet) in the shared blob store,
 * with the event-time range it covers so that point-in-time reads fetch only the chunks they need.
 */
export interface ChunkRef {
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly rows: number;
  /** Earliest and latest event time in the chunk, epoch ms (inclusive). */
  readonly minTimeMs: number;
  readonly maxTimeMs: number;
}

/**
 * What a view holds besides its definition: collection `view-data`, id = view name. It indexes the
 * offline chunks (in write order, which breaks ties between rows of the same entity and time: the
 * later write wins), remembers which dataset blobs were ingested (re-ingesting one is a no-op), and
 * carries the `features.materialized` events in its outbox — every ingest or materialization of a
 * view ends with one write of this document.
 */
export interface ViewDataRecord {
  readonly view: string;
  readonly chunks: readonly ChunkRef[];
  /** sha256 of every dataset blob ingested into this view. */
  readonly ingestedDatasets: readonly string[];
  /** Rows ever written to the online store (a view holding data keeps its join keys and types). */
  readonly onlineRows: number;
  /** End of the last Materialize window, epoch ms; null before the first. */
  readonly materializedUntilMs: number | null;
  /**
   * sha256 of dataset blobs Materialize put online straight from the file before their offline
   * ingest was done (absent: none). A history read first ingests any of them not yet in
   * `ingestedDatasets` (batch-source-history.ts).
   */
  readonly onlineBeforeHistory?: readonly string[];
}

/** A view's data document before anything was written. */
export function emptyViewData(view: string): ViewDataRecord {
  return { view, chunks: [], ingestedDatasets: [], onlineRows: 0, materializedUntilMs: null };
}

/** True when the view holds offline or online values. */
export function holdsData(data: ViewDataRecord | undefined): boolean {
  return data !== undefined && (data.chunks.length > 0 || data.onlineRows > 0);
}
