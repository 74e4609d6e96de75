// The budget panel's data: GET /api/budget, refreshed when an answer ends.

import { create } from "zustand";

import type { Api, BudgetReport, SpendRow } from "../lib/api";

interface BudgetState {
  report: BudgetReport | null;
  error: string | null;
  load(api: Api): Promise<void>;
}

export const useBudgetStore = create<BudgetState>((set) => ({
  report: null,
  error: null,
  async load(api) {
    try {
      set({ report: await api.budget(), error: null });
    } catch (e) {
      set({ error: e instanceof Error ? e.message : String(e) });
    }
  },
}));

export interface DaySpend {
  day: string;
  total: number;
  /** Spend by series name (a model, or a tier), in a fixed order. */
  parts: { name: string; cost: number }[];
}

/** Spend per day for the last `days` days ending `today`, split by model or by tier. */
export function spendSeries(rows: SpendRow[], today: string, days: number, by: "model" | "tier"): { names: string[]; days: DaySpend[] } {
  const nameOf = (r: SpendRow) => (by === "model" ? `${r.provider}:${r.model}` : (r.tier ?? "explicit"));
  const names = [...new Set(rows.map(nameOf))].sort();
  const end = new Date(`${today}T00:00:00Z`);
  const out: DaySpend[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(end.getTime() - i * 86_400_000).toISOString().slice(0, 10);
    const parts = names.map((name) => ({
      name,
      cost: rows.filter((r) => r.day === d && nameOf(r) === name).reduce((a, r) => a + r.cost_usd, 0),
    }));
    out.push({ day: d, total: parts.reduce((a, p) => a + p.cost, 0), parts });
  }
  return { names, days: out };
}
