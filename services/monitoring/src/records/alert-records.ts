export type AlertSeverityName = 'info' | 'warning' | 'critical';
export type AlertStateName = 'open' | 'resolved';

/** An alert as stored in `alerts`; a drift alert's id derives from its evaluation's. */
export interface AlertRecord {
  id: string;
  monitorName: string;
  modelName: string;
  modelVersion: number;
  team: string;
  kind: 'drift' | 'performance' | 'no_data';
  severity: AlertSeverityName;
  state: AlertStateName;
  title: string;
  message: string;
  driftResultIds: string[];
  /** Epoch ms. */
  raiseTime: number;
  resolveTime: number | null;
  /** Segments whose drift it announces, '' the whole population (absent: the whole population). */
  segments?: string[];
  /** The evaluation whose window resolved it. */
  resolvedByEvaluationId?: string;
}

export const alertsCollection = {
  name: 'alerts',
  indexes: ['modelName', 'team', 'state', 'monitorName', 'modelVersion', 'raiseTime'],
} as const;

export const severityRank: Readonly<Record<AlertSeverityName, number>> = { info: 1, warning: 2, critical: 3 };
