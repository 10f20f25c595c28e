let counter = 0;

/** A name no other test in this run uses: for topics, buckets, databases, groups. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}
