import type { WaitForOptions } from './wait-for.ts';

/** One span as Zipkin's API returns it (Zipkin v2 JSON; ids are lower-case hex). */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  /** Lower-cased by Zipkin's exporters. */
  name?: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  /** Epoch microseconds. */
  timestamp?: number;
  /** Microseconds. */
  duration?: number;
  /** The service that recorded the span. */
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

/** The spans Zipkin has of one trace (`GET /api/v2/trace/{id}`); none while it has not seen it. */
export async function fetchZipkinTrace(url: string, traceId: string): Promise<ZipkinSpan[]> {
  const response = await fetch(new URL(`/api/v2/trace/${encodeURIComponent(traceId)}`, url), {
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`Zipkin answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as ZipkinSpan[];
}

/**
 * Polls Zipkin's API at `url` (`FLYWHEEL_ZIPKIN_URL`) until trace `traceId` satisfies `predicate`,
 * with a deadline: spans arrive in export batches, so a trace grows for a while. The timeout error
 * says how many spans of which services it had by then.
 */
export async function waitForZipkinTrace(
  url: string,
  traceId: string,
  predicate: (spans: readonly ZipkinSpan[]) => boolean,
  options: WaitForOptions = {},
): Promise<ZipkinSpan[]> {
  const { timeoutMs = 30_000, intervalMs = 500, what = `trace ${traceId} in Zipkin` } = options;
  const deadline = Date.now() + timeoutMs;
  let spans: ZipkinSpan[] = [];
  let lastError: unknown;
  for (;;) {
    try {
      spans = await fetchZipkinTrace(url, traceId);
      if (predicate(spans)) return spans;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const services = [...new Set(spans.map((s) => s.localEndpoint?.serviceName ?? '?'))].sort();
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}: it had ${spans.length} spans from [${services.join(', ')}]`,
        { cause: lastError },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
