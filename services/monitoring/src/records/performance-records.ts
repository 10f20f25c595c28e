/** One logged prediction kept for joining with ground truth. */
export interface LoggedPredictionRecord {
  requestId: string;
  rowIndex: number;
  /** Prediction time, epoch ms. */
  time: number;
  /** Output name → value, for the outputs some monitor's performance spec reads. */
  outputs: Record<string, number | string | null>;
  /** Segments of the monitors' slices the prediction falls in (absent: none). */
  segments?: string[];
}

/** The predictions of one `prediction.logged` event, in `prediction-logs`, id = the event id. */
export interface PredictionLogRecord {
  modelName: string;
  modelVersion: number;
  deploymentName: string;
  requestIds: string[];
  minTime: number;
  maxTime: number;
  predictions: LoggedPredictionRecord[];
}

export const predictionLogsCollection = {
  name: 'prediction-logs',
  indexes: ['modelName', 'modelVersion', 'requestIds', 'minTime'],
} as const;

export interface GroundTruthLabelRecord {
  requestId: string;
  rowIndex: number;
  label: number | string | null;
  /** When the outcome was observed, epoch ms (0 when not given). */
  time: number;
}

/** The labels of one `ground-truth.received` event, in `ground-truth`, id = the event id. */
export interface GroundTruthRecord {
  modelName: string;
  source: string;
  labels: GroundTruthLabelRecord[];
  receiveTime: number;
}

export const groundTruthCollection = { name: 'ground-truth', indexes: ['modelName', 'receiveTime'] } as const;
