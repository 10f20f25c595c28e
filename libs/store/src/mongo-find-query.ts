import type { Scalar } from './document-store.ts';
import type { CheckedFind, RangeBound } from './validate-document.ts';

// Every value of one BSON type a document field may hold, as a type-bracketed condition: MongoDB
// compares `$gt`/`$lt` only within a type, so "all strings" is `$gte: ''`, and so on.
const everyValueOf = {
  null: null,
  number: { $gte: -Number.MAX_VALUE },
  string: { $gte: '' },
  boolean: { $in: [true, false] },
} as const;
type TypeName = keyof typeof everyValueOf;
/** The sort order of the types (objects and arrays aside: sorting on them is unspecified). */
const typeOrder: readonly TypeName[] = ['null', 'number', 'string', 'boolean'];

function typeNameOf(value: Scalar | null | undefined): TypeName {
  return value === null || value === undefined ? 'null' : (typeof value as TypeName);
}

function rangeOf(bounds: readonly RangeBound[]): Record<string, Scalar> {
  return Object.fromEntries(bounds.map(([operator, value]) => [`$${operator}`, value]));
}

/**
 * The MongoDB filter of a checked `find` (besides liveness): equality and ranges on `data.<field>`,
 * bounds on `_id`, and the keyset cursor as "after (value, id)" in the sort direction — which
 * includes every value of the types sorting after `value`'s, since `$gt` alone stays in its type.
 */
export function mongoFindConditions(query: CheckedFind): object[] {
  const conditions: object[] = [];
  for (const [field, value] of query.filter) conditions.push({ [`data.${field}`]: value });
  for (const [field, values] of query.memberships) conditions.push({ [`data.${field}`]: { $in: values } });
  for (const [field, bounds] of query.ranges) conditions.push({ [`data.${field}`]: rangeOf(bounds) });
  if (query.idRange.length) conditions.push({ _id: rangeOf(query.idRange) });
  const after = query.after;
  if (after) {
    const beyond = query.descending ? '$lt' : '$gt';
    if (query.sortBy === undefined) {
      conditions.push({ _id: { [beyond]: after.id } });
    } else {
      const path = `data.${query.sortBy}`;
      const value = after.value ?? null;
      const type = typeNameOf(value);
      const rank = typeOrder.indexOf(type);
      const laterTypes = query.descending ? typeOrder.slice(0, rank) : typeOrder.slice(rank + 1);
      conditions.push({
        $or: [
          ...(value === null ? [] : [{ [path]: { [beyond]: value } }]),
          { [path]: value, _id: { [beyond]: after.id } },
          ...laterTypes.map((later) => ({ [path]: everyValueOf[later] })),
        ],
      });
    }
  }
  return conditions;
}
