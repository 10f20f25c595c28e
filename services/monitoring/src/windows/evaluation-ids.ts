import { createHash } from 'node:crypto';

/**
 * The id of the evaluation of window `seq` of a window document: derived, not random, so a
 * re-run after a crash finds the evaluation it already wrote instead of writing a second one.
 */
export function evaluationIdOf(windowId: string, seq: number): string {
  return `ev_${digest(`${windowId}#${seq}`)}`;
}

/** The id of one feature's result within an evaluation. */
export function driftResultIdOf(evaluationId: string, feature: string): string {
  return `dr_${digest(`${evaluationId}/${feature}`)}`;
}

/** The id of the alert an evaluation raised. */
export function alertIdOf(evaluationId: string): string {
  return `al_${evaluationId.slice(3)}`;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}
