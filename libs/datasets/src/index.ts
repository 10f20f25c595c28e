export { formatCsvLine } from './format-csv-line.ts';
export { type CsvRecord, parseCsv, readCsv } from './parse-csv.ts';
export { type JsonLine, parseJsonLines, readJsonLines } from './parse-json-lines.ts';
export {
  type Cell,
  type Column,
  type ColumnChunk,
  cellsOf,
  collectColumns,
  type ReadColumnsOptions,
  readColumns,
} from './read-columns.ts';
