import { type Timestamp, timestampMs } from '@bufbuild/protobuf/wkt';
import { type Html, html } from './html.ts';

/** Milliseconds since the epoch, or undefined for an unset timestamp. */
export const msOf = (t: Timestamp | undefined): number | undefined =>
  t === undefined || (t.seconds === 0n && t.nanos === 0) ? undefined : timestampMs(t);

/** `2026-12-02 14:03:11` (UTC), or `—`. */
export function when(t: Timestamp | undefined): string {
  return whenMs(msOf(t));
}

/** `when` of milliseconds since the epoch. */
export function whenMs(ms: number | undefined): string {
  return ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** `840 ms`, `12.3 s`, `4 m 05 s`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} m ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;
}

export const between = (from: Timestamp | undefined, to: Timestamp | undefined): number | undefined => {
  const a = msOf(from);
  const b = msOf(to);
  return a === undefined || b === undefined ? undefined : b - a;
};

/** An enum value's name as the generated enum object spells it (`SUCCEEDED`), lower-cased. */
export function enumName(values: Record<number, string>, value: number): string {
  return (values[value] ?? String(value)).toLowerCase().replaceAll('_', ' ');
}

/** A coloured badge for a state word; the CSS colours by `data-state`. */
export const badge = (state: string): Html => html`<span class="badge" data-state="${state}">${state}</span>`;

export const metric = (value: number | undefined): string =>
  value === undefined ? '—' : Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(4);
