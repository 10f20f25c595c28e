export type {
  Gate,
  Promotion,
  ServedRequestClients,
  ServedRequestReport,
  TrainedBy,
} from './served-request-report.ts';
export { routeName, servedRequestReports, valueText } from './served-request-report.ts';
