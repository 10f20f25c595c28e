import { AppError } from '@flywheel/core';

/** One JSON Lines row with its (1-based) line. */
export interface JsonLine {
  readonly line: number;
  readonly row: Record<string, unknown>;
}

/**
 * Parses JSON Lines: one JSON object per line (LF or CRLF), blank lines ignored. Throws
 * `invalid_argument` naming the line for a line that is not JSON (`line 2: is not valid JSON: …`)
 * or not an object (`line 2: must be a JSON object (column → value)`).
 */
export function parseJsonLines(text: string): JsonLine[] {
  const rows: JsonLine[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const row = jsonLine(raw, index + 1);
    if (row) rows.push(row);
  }
  return rows;
}

/**
 * {@link parseJsonLines} over a stream of chunks (text or UTF-8 bytes), yielding rows as their line
 * completes. An error thrown by `chunks` passes through unchanged.
 */
export async function* readJsonLines(chunks: AsyncIterable<string | Uint8Array>): AsyncGenerator<JsonLine> {
  const decoder = new TextDecoder();
  let buffered = '';
  let line = 0;
  for await (const chunk of chunks) {
    buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n', start)) {
      const row = jsonLine(buffered.slice(start, end), ++line);
      if (row) yield row;
      start = end + 1;
    }
    buffered = buffered.slice(start);
  }
  buffered += decoder.decode();
  const row = jsonLine(buffered, ++line);
  if (row) yield row;
}

function jsonLine(raw: string, line: number): JsonLine | undefined {
  const text = raw.trim();
  if (text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw AppError.invalidArgument(`line ${line}`, `is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw AppError.invalidArgument(`line ${line}`, 'must be a JSON object (column → value)');
  }
  return { line, row: parsed as Record<string, unknown> };
}
