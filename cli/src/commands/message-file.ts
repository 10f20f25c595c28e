import { readFileSync } from 'node:fs';
import { type DescMessage, fromJson, type JsonValue, type MessageShape } from '@bufbuild/protobuf';
import { parse } from 'yaml';
import { CliError, exitCodes } from '../exit-codes.ts';

/**
 * Reads a YAML or JSON file (`-` is stdin) as the proto3 JSON of `schema` — the same field names
 * grpcurl and the REST APIs use (`depends_on` or `dependsOn`). Unknown fields and wrong types are
 * a usage error naming the file and protobuf-es's reason.
 */
export function readMessageFile<D extends DescMessage>(schema: D, path: string): MessageShape<D> {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new CliError(`-f ${path}: ${(error as Error).message}`, exitCodes.failure);
  }
  let json: unknown;
  try {
    json = parse(text);
  } catch (error) {
    throw new CliError(`-f ${path}: not YAML or JSON: ${(error as Error).message}`, exitCodes.usage);
  }
  try {
    return fromJson(schema, json as JsonValue);
  } catch (error) {
    throw new CliError(`-f ${path}: not a ${schema.typeName}: ${(error as Error).message}`, exitCodes.usage);
  }
}
