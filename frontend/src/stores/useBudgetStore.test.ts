import { describe, expect, it } from "vitest";

import type { SpendRow } from "../lib/api";
import { spendSeries } from "./useBudgetStore";

const row = (day: string, model: string, tier: string | null, cost_usd: number): SpendRow => ({
  day,
  provider: "openai",
  model,
  tier,
  calls: 1,
  cost_usd,
  input_tokens: 10,
  output_tokens: 5,
});

describe("spendSeries", () => {
  it("fills every day and splits spend by model or tier", () => {
    const rows = [row("2026-12-01", "gpt-5.1", "voice", 0.5), row("2026-12-01", "gpt-5.1-mini", "fast", 0.1), row("2026-11-29", "gpt-5.1", "voice", 0.2)];
    const byModel = spendSeries(rows, "2026-12-01", 3, "model");
    expect(byModel.names).toEqual(["openai:gpt-5.1", "openai:gpt-5.1-mini"]);
    expect(byModel.days.map((d) => d.day)).toEqual(["2026-11-29", "2026-11-30", "2026-12-01"]);
    expect(byModel.days.map((d) => d.total)).toEqual([0.2, 0, 0.6]);
    const byTier = spendSeries(rows, "2026-12-01", 1, "tier");
    expect(byTier.days[0].parts).toEqual([
      { name: "fast", cost: 0.1 },
      { name: "voice", cost: 0.5 },
    ]);
  });
});
