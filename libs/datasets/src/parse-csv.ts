import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '@flywheel/core';
import { CsvError, type InfoRecord, type Options, parse as parseStream } from 'csv-parse';
import { parse } from 'csv-parse/sync';

/** One CSV record with the (1-based) line it starts on. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

/**
 * Parses RFC 4180 CSV: comma-separated, fields optionally in double quotes (`""` is a quote inside
 * them, and they may span lines), LF, CRLF or CR line ends, an optional final line end; a leading
 * BOM is skipped, blank lines are ignored. Records may differ in width: checking them against a
 * header is the caller's. Throws `invalid_argument` naming the line (`line 2: unterminated quoted
 * field`) for an unterminated quote, a quote inside an unquoted field, or a character after a
 * closing quote.
 */
export function parseCsv(text: string): CsvRecord[] {
  const lines = new CsvLines();
  try {
    return parse(text, lines.options()) as unknown as CsvRecord[];
  } catch (error) {
    throw lines.failure(error);
  }
}

/**
 * {@link parseCsv} over a stream of chunks (text or UTF-8 bytes), yielding records as they complete,
 * so a large file is never held whole. An error thrown by `chunks` passes through unchanged.
 */
export async function* readCsv(chunks: AsyncIterable<string | Uint8Array>): AsyncGenerator<CsvRecord> {
  const lines = new CsvLines();
  const parser = parseStream(lines.options());
  // The parser's iterator reports a source error too; the promise only needs a handler.
  pipeline(Readable.from(chunks), parser).catch(() => {});
  try {
    for await (const record of parser) yield record as CsvRecord;
  } catch (error) {
    throw lines.failure(error);
  } finally {
    parser.destroy();
  }
}

/** What csv-parse's errors mean, in the words the callers' users see. */
const problems: Partial<Record<CsvError['code'], string>> = {
  CSV_QUOTE_NOT_CLOSED: 'unterminated quoted field',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field',
  CSV_INVALID_CLOSING_QUOTE: 'unexpected character after a closing quote',
};

/**
 * Numbers records by the line they start on. csv-parse's `info.lines` is the line a record ends on
 * and counts a CRLF inside a quoted field twice, so lines are counted here: one per record end,
 * plus the line feeds inside its fields.
 */
class CsvLines {
  /** The line the next record starts on. */
  private next = 1;
  /** csv-parse's line count at the end of the last record, to place an error inside the next one. */
  private parserLines = 0;

  options(): Options {
    return {
      bom: true,
      relax_column_count: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      on_record: (fields: string[], context: InfoRecord) => this.record(fields, context),
    } as Options;
  }

  private record(fields: string[], context: InfoRecord): CsvRecord | null {
    const line = this.next;
    for (const field of fields) for (const c of field) if (c === '\n') this.next++;
    this.next++;
    this.parserLines = context.lines;
    return fields.length === 1 && fields[0] === '' ? null : { line, fields };
  }

  failure(error: unknown): unknown {
    if (!(error instanceof CsvError)) return error;
    const problem = problems[error.code] ?? error.message;
    // An unterminated quote is reported where its record starts; anything else where it is found.
    const within = typeof error.lines === 'number' ? Math.max(0, error.lines - this.parserLines - 1) : 0;
    const line = error.code === 'CSV_QUOTE_NOT_CLOSED' ? this.next : this.next + within;
    return AppError.invalidArgument(`line ${line}`, problem, { cause: error });
  }
}
