import { ConfigReader, type Env } from '@flywheel/core';
import {
  type HostConfig,
  type InfraConfig,
  readHostConfig,
  readInfraConfig,
  readPeers,
} from '@flywheel/runtime';
import type { SkewSettings } from './skew/check-training-serving-skew.ts';

/** Monitoring's own settings. */
export interface MonitoringSettings {
  /** Hard cap on samples per window (a monitor's window size may not exceed it). `FLYWHEEL_MONITORING_MAX_WINDOW_SAMPLES`, default 10 000. */
  maxWindowSamples: number;
  /** Closed windows kept per monitor and version while the version has no reference profile. `FLYWHEEL_MONITORING_PARKED_WINDOWS`, default 3. */
  maxParkedWindows: number;
  /** How often quiet windows are closed by their duration and waiting ones retried, ms. `FLYWHEEL_MONITORING_WINDOW_SWEEP_INTERVAL`, default 5s. */
  sweepIntervalMs: number;
  /** Values a reference profile keeps per numeric feature for KS and Wasserstein. `FLYWHEEL_MONITORING_REFERENCE_SAMPLE_SIZE`, default 100 000 (the data itself up to it, block means beyond; a profile shares 400 000 among its numeric features). */
  referenceSampleSize: number;
  /** Deadline of calls to the feature store, ms. `FLYWHEEL_MONITORING_PEER_TIMEOUT`, default 30s. */
  peerTimeoutMs: number;
  /** Training/serving skew checks of served features; null when `FLYWHEEL_MONITORING_SKEW_CHECKS=false`. */
  skew: SkewSettings | null;
}

/** Everything the monitoring service reads from its environment, parsed once. */
export interface MonitoringConfig {
  host: HostConfig;
  infra: InfraConfig;
  /** Where the services it calls listen. */
  peers: Record<'feature-store' | 'registry', string>;
  monitoring: MonitoringSettings;
}

/** The monitoring service's settings; see {@link MonitoringSettings} for its own variables. Throws one error listing every problem. */
export function loadMonitoringConfig(env: Env): MonitoringConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'monitoring');
  const infra = readInfraConfig(reader, 'monitoring');
  const peers = readPeers(reader, ['feature-store', 'registry']);
  const monitoring: MonitoringSettings = {
    maxWindowSamples: reader.int('FLYWHEEL_MONITORING_MAX_WINDOW_SAMPLES', 10_000, { min: 10, max: 100_000 }),
    maxParkedWindows: reader.int('FLYWHEEL_MONITORING_PARKED_WINDOWS', 3, { min: 1, max: 100 }),
    sweepIntervalMs: reader.durationMs('FLYWHEEL_MONITORING_WINDOW_SWEEP_INTERVAL', '5s'),
    referenceSampleSize: reader.int('FLYWHEEL_MONITORING_REFERENCE_SAMPLE_SIZE', 100_000, {
      min: 100,
      max: 400_000,
    }),
    peerTimeoutMs: reader.durationMs('FLYWHEEL_MONITORING_PEER_TIMEOUT', '30s'),
    skew: readSkewSettings(reader),
  };
  if (monitoring.sweepIntervalMs < 10) {
    reader.problem('FLYWHEEL_MONITORING_WINDOW_SWEEP_INTERVAL', 'must be at least 10ms');
  }
  reader.done();
  return { host, infra, peers, monitoring };
}

/** A number in [min, max] from `name`; reports a problem (and returns the fallback) otherwise. */
function fraction(reader: ConfigReader, name: string, fallback: string, min: number, max: number): number {
  const text = reader.string(name, fallback);
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    reader.problem(name, `must be a number in [${min}, ${max}], got "${text}"`);
    return Number(fallback);
  }
  return value;
}

function readSkewSettings(reader: ConfigReader): SkewSettings | null {
  const enabled = reader.bool('FLYWHEEL_MONITORING_SKEW_CHECKS', true);
  const settings: SkewSettings = {
    threshold: fraction(reader, 'FLYWHEEL_MONITORING_SKEW_THRESHOLD', '0.05', 0, 1),
    minSamples: reader.int('FLYWHEEL_MONITORING_SKEW_MIN_SAMPLES', 10, { min: 1, max: 100_000 }),
    tolerance: {
      absolute: fraction(reader, 'FLYWHEEL_MONITORING_SKEW_ABSOLUTE_TOLERANCE', '1e-6', 0, Number.MAX_VALUE),
      relative: fraction(reader, 'FLYWHEEL_MONITORING_SKEW_RELATIVE_TOLERANCE', '1e-6', 0, 1),
    },
  };
  return enabled ? settings : null;
}
