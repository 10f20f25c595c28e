import type { DescMessage, JsonValue, MessageShape } from '@bufbuild/protobuf';
import { toJson } from '@bufbuild/protobuf';
import { type Timestamp, timestampDate } from '@bufbuild/protobuf/wkt';

/** A message in its canonical proto3 JSON (enum names, int64 as strings): what `-o json|yaml` prints. */
export function jsonOf<D extends DescMessage>(schema: D, message: MessageShape<D>): JsonValue {
  return toJson(schema, message, { alwaysEmitImplicit: false });
}

/** An enum value's short name: `DEPLOYMENT_STATE_READY` → `READY`, given the enum object and prefix. */
export function enumName(values: Record<number, string>, value: number): string {
  return values[value] ?? String(value);
}

/** A timestamp as ISO-8601 seconds, or '' when unset. */
export function timeOf(t: Timestamp | undefined): string {
  return t ? `${timestampDate(t).toISOString().slice(0, 19)}Z` : '';
}

/** A map as `k=v,k=v`, sorted, numbers to 4 significant digits. */
export function pairs(map: Readonly<Record<string, string | number | bigint>>): string {
  return Object.entries(map)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`)
    .join(',');
}
