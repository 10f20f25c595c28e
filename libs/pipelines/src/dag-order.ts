import type { Step } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';

/** Step names in an order where every step comes after its dependencies; undefined for a cycle. */
export function topologicalOrder(steps: readonly Pick<Step, 'name' | 'dependsOn'>[]): string[] | undefined {
  // Kahn's algorithm, by passes over the declared order.
  const done = new Set<string>();
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (const step of steps) {
      if (!done.has(step.name) && step.dependsOn.every((d) => done.has(d))) {
        done.add(step.name);
        progressed = true;
      }
    }
  }
  return done.size === steps.length ? [...done] : undefined;
}

/** Every step's transitive dependencies, by step name. Assumes a DAG. */
export function ancestorsOf(steps: readonly Pick<Step, 'name' | 'dependsOn'>[]): Map<string, Set<string>> {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const memo = new Map<string, Set<string>>();
  const visit = (name: string): Set<string> => {
    const known = memo.get(name);
    if (known) return known;
    const result = new Set<string>();
    memo.set(name, result);
    for (const dependency of byName.get(name)?.dependsOn ?? []) {
      result.add(dependency);
      for (const further of visit(dependency)) result.add(further);
    }
    return result;
  };
  for (const step of steps) visit(step.name);
  return memo;
}
