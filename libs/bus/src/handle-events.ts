import { AppError, type Logger, runActingAs, silentLogger } from '@flywheel/core';
import { type CloudEvent, serviceActingOn } from '@flywheel/events';
import type { EventAdmission } from './event-admission.ts';
import type { Delivery, Subscription } from './event-bus.ts';
import { traceProcessing } from './messaging-spans.ts';

/** What a handler knows besides the event. */
export interface HandlerContext {
  readonly topic: string;
  readonly group: string;
  /** 1 on first delivery. */
  readonly attempt: number;
  /** Aborts when the consumer shuts down: pass it to every I/O call. */
  readonly signal: AbortSignal;
}

/**
 * Handles one event. Resolving acks it; throwing nacks it — an AppError's `retriable` decides
 * between redelivery after backoff and the DLQ (anything not an AppError counts as `internal`,
 * not retriable). Must be idempotent: the same event may come again (see createIdempotentHandler).
 */
export type EventHandler = (event: CloudEvent, context: HandlerContext) => Promise<void>;

export interface HandleEventsOptions {
  /** Shutdown: stop taking events, let the handlers in flight finish, close the subscription. */
  signal?: AbortSignal;
  log?: Logger;
  /**
   * The consuming service's own identity (`service:scheduler`): handlers run acting as it, on
   * behalf of the event's originating principal, so what they write and emit names both.
   */
  actingAs?: string;
  /** Checked before the handler: a refused event is dead-lettered with the reason, never handled. */
  admit?: EventAdmission;
}

/**
 * Consumes `subscription` with `handler` until the subscription ends or `signal` aborts. Each
 * delivery runs in an OpenTelemetry CONSUMER span whose parent is the event's `traceparent`, so
 * the trace goes on across the bus; success acks, failure nacks. Deliveries are handled as
 * concurrently as the subscription hands them out (its `concurrency`; events of a key never
 * overlap). On abort the subscription is closed at once — deliveries not yet taken are handed
 * back — and a handler that fails while shutting down is nacked as retriable, so an interrupted
 * event is redelivered later instead of dead-lettered. Resolves once everything taken is settled
 * and the subscription is closed; never rejects.
 */
export async function handleEvents(
  subscription: Subscription,
  handler: EventHandler,
  options: HandleEventsOptions = {},
): Promise<void> {
  const log = options.log ?? silentLogger;
  const signal = options.signal ?? new AbortController().signal;
  const inFlight = new Set<Promise<void>>();
  const onAbort = (): void => void subscription.close();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();

  const handleOne = async (delivery: Delivery): Promise<void> => {
    const { event, topic, group, attempt } = delivery;
    try {
      const handle = async (): Promise<void> => {
        await options.admit?.(event);
        await handler(event, { topic, group, attempt, signal });
      };
      const { actingAs } = options;
      await traceProcessing(delivery, () =>
        actingAs ? runActingAs(serviceActingOn(actingAs, event), handle) : handle(),
      );
      await delivery.ack();
    } catch (error) {
      const failure = signal.aborted
        ? new AppError('unavailable', 'handler interrupted by shutdown', { cause: error, retriable: true })
        : AppError.from(error);
      log.warn('event handler failed', {
        topic,
        group,
        eventId: event.id,
        attempt,
        code: failure.code,
        retriable: failure.retriable,
        error: failure.message,
      });
      await delivery.nack(failure);
    }
  };

  try {
    for await (const delivery of subscription) {
      const work = handleOne(delivery);
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    }
  } finally {
    await Promise.all(inFlight);
    signal.removeEventListener('abort', onAbort);
    await subscription.close();
  }
}
