// Real data with heavy tails, ties and many categories: US domestic flights of 2001 from the npm
// package vega-datasets (data/flights-200k.json: delay, distance, hour; data/flights-20k.json adds
// date, origin and destination), in file order.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const data = join(dirname(fileURLToPath(import.meta.resolve('vega-datasets'))), '..', 'data');

export interface Flight {
  delay: number;
  distance: number;
}
export interface RoutedFlight extends Flight {
  date: string;
  origin: string;
  destination: string;
}

/** The 200 000 flights of flights-200k.json (delay in minutes, distance in miles). */
export function flights200k(): Flight[] {
  return JSON.parse(readFileSync(join(data, 'flights-200k.json'), 'utf8'));
}

/** The 20 000 flights of flights-20k.json, with their airports. */
export function flights20k(): RoutedFlight[] {
  return JSON.parse(readFileSync(join(data, 'flights-20k.json'), 'utf8'));
}
