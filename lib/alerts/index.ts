/**
 * Incidents and alerts (docs/decisions/016-incidents-and-alerts.md): conditions read from what
 * SyncWatch maintains, incidents with a timeline, channels (webhook, Slack, email), an outbox
 * delivered once across instances, reminders, recovery notices and maintenance windows.
 */
export { readConditions, type AlertConfig, type ConditionState } from './conditions';
export { evaluateIncidents, acknowledgeIncident, acknowledgeSchema, type Evaluation, type EvaluationOptions } from './incidents';
export { listIncidents, listOpenIncidents, getIncident } from './incident-reads';
export type { IncidentSummary, IncidentDetail, IncidentEventRow, DeliveryRow, IncidentState } from './incident-reads';
export {
  addChannel,
  addChannelSchema,
  channelNameSchema,
  listChannels,
  removeChannel,
  sendTestNotification,
  getDelivery,
  type ChannelView,
} from './channels';
export {
  addMaintenanceWindow,
  maintenanceSchema,
  listMaintenanceWindows,
  endMaintenanceWindow,
  windowsBetween,
  pruneAlerts,
} from './maintenance';
export type { WindowView } from './maintenance';
export { runDeliveries, pendingDeliveries, backoffMs, type DeliveryOptions } from './delivery';
export { signature } from './transports';
export { checkWebhookUrl, addressProblem, maskUrl } from './network';
export {
  evaluateIncidentsNow,
  startAlertWorker,
  evaluationOptionsFromEnv,
  deliveryOptionsFromEnv,
  appUrlOf,
  type AlertWorker,
} from './service';
