/**
 * The pipeline's figures for `npm run status`: lag and rates, as the "Pipeline health" dashboard shows them,
 * by its own PromQL (charts/dashboards/pipeline-health.ts) evaluated by the cluster's Prometheus. Rates need two
 * scrapes, which a single read of the pods' /metrics has not: asking Prometheus gives true rates and the
 * Kafka Exporter's group lag alike. The parsing and wording are pure (tested on Prometheus' recorded answers).
 */
import { pipelineQueries } from '../../charts/dashboards/pipeline-health.ts';
import { expandPromql } from '../../charts/dashboards/shared.ts';
import type { PipelineConfig } from '../config/index.ts';

/** The rate window: kube-prometheus-stack scrapes every 30 s, and a rate needs two samples in its window. */
export const RATE_WINDOW = '2m';

/** One series of an instant query's answer (Prometheus HTTP API, resultType vector). */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The series of a `/api/v1/query` answer; an error answer throws with Prometheus' own message. */
export function vectorOf(answer: unknown): Sample[] {
  const a = answer as {
    status?: string;
    error?: string;
    data?: { resultType?: string; result?: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (a.status !== 'success') throw new Error(`Prometheus: ${a.error ?? 'no answer'}`);
  if (a.data?.resultType !== 'vector')
    throw new Error(`Prometheus answered a ${a.data?.resultType}, not a vector`);
  return (a.data.result ?? []).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

/** The figures' names and their queries, the rate window filled in. */
export function figureQueries(config: PipelineConfig) {
  const q = pipelineQueries(config);
  const expand = (expr: string) => expandPromql(expr, RATE_WINDOW);
  return {
    produced: expand(q.producedPerPod),
    pending: expand(q.pendingRecords),
    groupLag: expand(q.groupLag),
    stored: expand(q.rowsStoredPerTable),
    deadLetters: expand(q.deadLetters),
  };
}
export type Figure = keyof ReturnType<typeof figureQueries>;

const total = (samples: Sample[] | undefined) => samples?.reduce((sum, s) => sum + s.value, 0);
const round = (n: number) => (n >= 10 ? Math.round(n).toString() : n.toFixed(1));

/**
 * One line: "lag 120 records pending, group lag 300; produced 200/s; stored 230 rows/s (stock_trades 200,
 * trade_vwap_1m 3); dead letters 0/s". A figure without series says "n/a" (nothing exports it yet, e.g. no
 * checkpoint committed offsets); a failed query says why.
 */
export function describeFigures(results: Partial<Record<Figure, Sample[] | Error>>): string {
  const errors = Object.values(results).filter((r) => r instanceof Error);
  if (errors.length > 0 && errors.length === Object.keys(results).length)
    return `no figures: ${errors[0]?.message}`;
  const text = (figure: Figure, format: (samples: Sample[]) => string) => {
    const r = results[figure];
    if (r instanceof Error) return `? (${r.message})`;
    if (!r || r.length === 0) return 'n/a';
    return format(r);
  };
  const pending = text('pending', (s) => `${round(total(s) ?? 0)} records pending`);
  const groupLag = text('groupLag', (s) => round(total(s) ?? 0));
  const produced = text('produced', (s) => `${round(total(s) ?? 0)}/s`);
  const stored = text('stored', (s) => {
    const tables = [...s]
      .sort((a, b) => b.value - a.value)
      .map((x) => `${x.labels.table ?? '?'} ${round(x.value)}`)
      .join(', ');
    return `${round(total(s) ?? 0)} rows/s (${tables})`;
  });
  const deadLetters = text('deadLetters', (s) => `${round(total(s) ?? 0)}/s`);
  return `lag ${pending}, group lag ${groupLag}; produced ${produced}; stored ${stored}; dead letters ${deadLetters}`;
}

/** Evaluates every figure with `query` (an instant query to some Prometheus); one failure spoils only its figure. */
export async function readFigures(
  config: PipelineConfig,
  query: (expr: string) => Promise<unknown>,
): Promise<Partial<Record<Figure, Sample[] | Error>>> {
  const entries = await Promise.all(
    Object.entries(figureQueries(config)).map(async ([figure, expr]) => {
      try {
        return [figure, vectorOf(await query(expr))] as const;
      } catch (error) {
        return [figure, error as Error] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}
