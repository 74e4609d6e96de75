import { useEffect, useState } from "react";

import type { Api, BudgetPeriod } from "../lib/api";
import { spendSeries, useBudgetStore } from "../stores/useBudgetStore";
import { EmptyState } from "./EmptyState";

const COLORS = ["#5aa0ff", "#5fd08a", "#e8b04a", "#c586c0", "#ff8a80", "#4ec9b0", "#d7ba7d"];

function usd(n: number): string {
  return `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;
}

function Limit({ label, p, testid }: { label: string; p: BudgetPeriod; testid: string }) {
  const used = p.limit_usd > 0 ? Math.min(1, (p.spent_usd + p.reserved_usd) / p.limit_usd) : 1;
  return (
    <div className="budget-limit" data-testid={testid}>
      <div className="expert-row">
        <span>{label}</span>
        <span className="muted">
          {usd(p.spent_usd)} of {usd(p.limit_usd)} · {p.calls} calls
          {p.leased_usd > 0 ? ` · ${usd(p.leased_usd)} held by running processes` : ""}
        </span>
      </div>
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(used * 100)}>
        <div className={used >= 0.9 ? "bar-over" : "bar-commits"} style={{ width: `${used * 100}%` }} />
      </div>
    </div>
  );
}

/** Spend against the limits, spend per day by model or tier, and the cache hit rate. */
export function BudgetPanel({ api, onAsk }: { api: Api; onAsk?(): void }) {
  const report = useBudgetStore((s) => s.report);
  const error = useBudgetStore((s) => s.error);
  const [by, setBy] = useState<"model" | "tier">("model");

  useEffect(() => {
    void useBudgetStore.getState().load(api);
  }, [api]);

  if (error) return <div className="panel-body pad status-error">{error}</div>;
  if (!report) return <div className="panel-body pad muted">Loading the budget...</div>;
  const { names, days } = spendSeries(report.by_day, report.day.key, 14, by);
  const top = Math.max(...days.map((d) => d.total), 1e-9);
  const width = 14 * 16;
  const height = 80;
  return (
    <div className="panel-body scroll budget" data-testid="budget-panel">
      <Limit label="Today" p={report.day} testid="budget-day" />
      <Limit label="This month" p={report.month} testid="budget-month" />
      <p className="small" data-testid="budget-cache">
        Cache hit rate:{" "}
        <strong>{report.cache_hit_rate === null ? "no calls yet" : `${Math.round(report.cache_hit_rate * 100)}%`}</strong>
        {" · "}saved {usd(report.month.saved_usd)} this month ({usd(report.month_without_cache_usd)} without the cache) ·
        projected {usd(report.month_projection_usd)} this month
      </p>
      {names.length === 0 && (
        <EmptyState
          testid="budget-empty"
          title="No model calls in the last 31 days."
          detail="Each answer in Chat (and each agent step) adds its cost here, per day and per model; local models cost nothing."
          action={onAsk ? { label: "Ask in Chat", testid: "budget-ask", onClick: onAsk } : undefined}
        />
      )}
      <div className="budget-head">
        <div className="tabs">
          {(["model", "tier"] as const).map((k) => (
            <button key={k} type="button" className={by === k ? "tab on" : "tab"} onClick={() => setBy(k)}>
              by {k}
            </button>
          ))}
        </div>
        <ul className="legend small" data-testid="budget-legend">
          {names.map((n, j) => (
            <li key={n}>
              <span className="swatch" style={{ background: COLORS[j % COLORS.length] }} /> {n}
            </li>
          ))}
        </ul>
      </div>
      <svg className="budget-chart" viewBox={`0 0 ${width} ${height + 14}`} role="img" aria-label={`Spend per day by ${by}`} data-testid="budget-chart">
        {days.map((d, i) => {
          let y = height;
          return (
            <g key={d.day}>
              {d.parts.map((p, j) => {
                const h = (p.cost / top) * height;
                y -= h;
                return p.cost > 0 ? (
                  <rect key={p.name} x={i * 16 + 2} y={y} width={12} height={h} fill={COLORS[j % COLORS.length]}>
                    <title>{`${d.day} ${p.name}: ${usd(p.cost)}`}</title>
                  </rect>
                ) : null;
              })}
              {i % 7 === 6 && (
                <text x={i * 16 + 8} y={height + 12} textAnchor="middle" className="chart-label">
                  {d.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
