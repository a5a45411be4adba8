/** The Grafana dashboards, built from the config, as JSON for the ConfigMaps Grafana's sidecar loads. */
import type { PipelineConfig } from '../../src/config/index.ts';
import { marketDashboard } from './market.ts';
import { pipelineHealthDashboard } from './pipeline-health.ts';
import type { DashboardJson } from './shared.ts';

export type { DashboardJson } from './shared.ts';

/**
 * kube-prometheus-stack 88.5.3's Grafana sidecar loads every ConfigMap with this label, from every namespace
 * (values.yaml grafana.sidecar.dashboards: label grafana_dashboard, labelValue "1", searchNamespace ALL).
 */
export const DASHBOARD_LABEL = { grafana_dashboard: '1' } as const;

export function dashboards(config: PipelineConfig): DashboardJson[] {
  // JSON round trip: the SDK's objects carry methods (variant markers) that are no part of the dashboard.
  return [pipelineHealthDashboard(config), marketDashboard(config)].map(
    (builder) => JSON.parse(JSON.stringify(builder.build())) as DashboardJson,
  );
}
