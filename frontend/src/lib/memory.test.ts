import { describe, expect, it } from "vitest";

import type { MemoryFact } from "./api";
import { decisionNotice, factItemId, groupFacts, itemWhen, parseItemId, sourceLabel, sourceTarget, validity } from "./memory";

const JAN_5 = Date.UTC(2025, 0, 5, 13, 30);
const FEB_1 = Date.UTC(2025, 1, 1, 8, 0);

function fact(id: number, patch: Partial<MemoryFact> = {}): MemoryFact {
  return {
    id, project_id: null, subject: `s${id}`, text: `fact ${id}`, category: "fact", confidence: 1, importance: 0.5, origin: "told",
    valid_from: JAN_5, valid_to: null, superseded_by: null, created_at: JAN_5, updated_at: JAN_5, sources: [], ...patch,
  };
}

describe("memory display", () => {
  it("says since when a fact holds, and until when and by what it was superseded", () => {
    expect(validity(JAN_5, null)).toBe("since 2025-01-05");
    expect(validity(JAN_5, FEB_1, 13)).toBe("2025-01-05 to 2025-02-01, superseded by f13");
    expect(validity(JAN_5, FEB_1)).toBe("2025-01-05 to 2025-02-01");
    expect(validity(null, FEB_1)).toBe("until 2025-02-01");
    expect(validity(null, null)).toBe("");
  });

  it("dates a recalled fact by its validity and a turn by when it was said", () => {
    expect(itemWhen({ kind: "fact", valid_from: JAN_5, valid_to: FEB_1 })).toBe("2025-01-05 to 2025-02-01");
    expect(itemWhen({ kind: "turn", valid_from: FEB_1, valid_to: null })).toBe("said 2025-02-01");
    expect(itemWhen({ kind: "turn", valid_from: null, valid_to: null })).toBe("");
  });

  it("names items as the API does and reads the names back", () => {
    expect(factItemId(12)).toBe("f12");
    expect(parseItemId("f12")).toEqual({ kind: "fact", n: 12 });
    expect(parseItemId("t34")).toEqual({ kind: "turn", n: 34 });
    for (const bad of ["12", "f", "x3", "f-1", "f0", "f1.5", " f1", "t99999999999999999999"]) expect(parseItemId(bad)).toBeNull();
  });

  it("groups the project's facts before the user's, by category, what holds before its history", () => {
    const groups = groupFacts([
      fact(1, { category: "preference", valid_to: FEB_1, superseded_by: 2 }),
      fact(2, { category: "preference", valid_from: FEB_1 }),
      fact(3, { category: "fact", project_id: 7 }),
      fact(4, { category: "constraint", project_id: 7 }),
      fact(5, { category: "name" }),
      fact(6, { category: "preference", valid_from: FEB_1 + 1 }),
    ]);
    expect(groups.map((g) => [g.scope, g.facts.map((f) => f.id)])).toEqual([
      ["project", [4, 3]],
      ["user", [6, 2, 1, 5]],
    ]);
    expect(groupFacts([fact(1)]).map((g) => g.scope)).toEqual(["user"]);
    expect(groupFacts([])).toEqual([]);
  });

  it("opens a live chat's source at its message, and no chat for an imported transcript", () => {
    expect(sourceTarget({ conversation: "17", message: "204" })).toEqual({ conversation: 17, message: 204 });
    expect(sourceTarget({ conversation: "17", message: "D1:3" })).toEqual({ conversation: 17, message: null });
    expect(sourceTarget({ conversation: "conv-26", message: "D1:3" })).toBeNull();
    expect(sourceTarget({ conversation: "0", message: "1" })).toBeNull();
    expect(sourceTarget({ conversation: "", message: "" })).toBeNull();
    expect(sourceLabel({ conversation: "17", message: "204" })).toBe("chat 17, message 204");
    expect(sourceLabel({ conversation: "conv-26", message: "D1:3" })).toBe("conv-26 / D1:3");
  });

  it("says what remembering did", () => {
    expect(decisionNotice({ decision: "added", id: 12 })).toBe("Remembered as f12.");
    expect(decisionNotice({ decision: "unchanged", id: 12 })).toBe("Already known as f12.");
    expect(decisionNotice({ decision: "updated", id: 12 })).toBe("Updated f12 with the new detail.");
    expect(decisionNotice({ decision: "superseded", id: 13, old: [3, 9] })).toBe("Remembered as f13; it supersedes f3, f9 (kept as history).");
  });
});
