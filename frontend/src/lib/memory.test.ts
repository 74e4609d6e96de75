import { describe, expect, it } from "vitest";

import type { MemoryFact } from "./api";
import {
  daySpan,
  decisionNotice,
  factItemId,
  groupFacts,
  isHabit,
  itemWhen,
  parseItemId,
  parseMemoryItems,
  parsePatterns,
  parseProfile,
  parseSummaries,
  patternDates,
  seenTimes,
  sourceLabel,
  sourceTarget,
  summaryOrigin,
  summaryTurns,
  validity,
} from "./memory";

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
    expect(itemWhen({ kind: "summary", valid_from: JAN_5, valid_to: null })).toBe("2025-01-05");
    expect(itemWhen({ kind: "summary", valid_from: JAN_5, valid_to: FEB_1 })).toBe("2025-01-05 to 2025-02-01");
  });

  it("names items as the API does and reads the names back", () => {
    expect(factItemId(12)).toBe("f12");
    expect(parseItemId("f12")).toEqual({ kind: "fact", n: 12 });
    expect(parseItemId("t34")).toEqual({ kind: "turn", n: 34 });
    expect(parseItemId("p3")).toEqual({ kind: "pattern", n: 3 });
    expect(parseItemId("s4")).toEqual({ kind: "summary", n: 4 });
    for (const bad of ["12", "f", "x3", "f-1", "f0", "f1.5", " f1", "t99999999999999999999", "s", "P3"]) expect(parseItemId(bad)).toBeNull();
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

describe("profile, habits and summaries", () => {
  const pattern = {
    id: "p3", behaviour: "asks for tests", evidence_count: 5, first_seen: JAN_5, last_seen: FEB_1, project_id: null,
    sources: [{ conversation: "12", message: "34" }],
  };
  const summary = {
    id: "s4", conversation: "12", first_seq: 1, last_seq: 12, text: "Talked about the parser.", origin: "extractive", project_id: 7,
    created_at: FEB_1, from: JAN_5, to: FEB_1, sources: [{ conversation: "12", message: "3" }],
  };

  it("reads the profile with its habits, and an older server's profile without them", () => {
    const entry = { key: "prefers: tabs", value: "I prefer tabs", fact: "f12", updated_at: JAN_5 };
    expect(parseProfile({ profile: [entry], habits: [pattern] })).toEqual({ profile: [entry], habits: [pattern] });
    expect(parseProfile({ profile: [entry] })).toEqual({ profile: [entry], habits: [] });
    expect(parseProfile({ profile: [entry], habits: null })).toEqual({ profile: [entry], habits: [] });
    // An entry with no key names nothing; one without its fact or date still shows.
    expect(parseProfile({ profile: [{ value: "x" }, { key: "name", value: "Sam" }] }).profile).toEqual([{ key: "name", value: "Sam", fact: "", updated_at: null }]);
    expect(parseProfile(null)).toEqual({ profile: [], habits: [] });
    expect(parseProfile("<html>")).toEqual({ profile: [], habits: [] });
  });

  it("reads patterns, filling what is missing and leaving out what has no id", () => {
    expect(parsePatterns({ patterns: [pattern] })).toEqual([pattern]);
    expect(parsePatterns({ patterns: [{ id: "p4", behaviour: "asks for a review", sources: [{ conversation: 9, message: 10 }, { message: "1" }, "x"] }] })).toEqual([
      { id: "p4", behaviour: "asks for a review", evidence_count: 1, first_seen: null, last_seen: null, project_id: null, sources: [{ conversation: "9", message: "10" }] },
    ]);
    expect(parsePatterns({ patterns: [{ behaviour: "no id" }, { id: "p5" }, 3, null] })).toEqual([]);
    expect(parsePatterns({})).toEqual([]);
  });

  it("reads summaries, filling what is missing", () => {
    expect(parseSummaries({ summaries: [summary] })).toEqual([summary]);
    expect(parseSummaries({ summaries: [{ id: "s5", text: "Short." }, { id: "s6" }] })).toEqual([
      { id: "s5", conversation: "", first_seq: null, last_seq: null, text: "Short.", origin: "", project_id: null, created_at: null, from: null, to: null, sources: [] },
    ]);
    expect(parseSummaries({ patterns: [] })).toEqual([]);
  });

  it("reads summaries among the search's facts and turns, and an unknown kind by its id", () => {
    const items = parseMemoryItems({
      items: [
        { id: "f2", kind: "fact", text: "We use Kafka.", score: 0.4, category: "decision", valid_from: JAN_5, valid_to: null, sources: [] },
        { id: "t9", kind: "turn", text: "hi", score: 0.2, speaker: "user", valid_from: JAN_5, valid_to: null, sources: [{ conversation: "1", message: "2" }] },
        { id: "s4", kind: "summary", text: "Talked about the parser.", score: 0.1, valid_from: FEB_1, sources: [{ conversation: "e2e", message: "m3" }] },
        { id: "s7", kind: "digest", text: "A kind from a newer server." },
        { id: "x1", kind: "mystery", text: "Names nothing." },
        { kind: "fact", text: "No id." },
      ],
    });
    expect(items.map((i) => [i.id, i.kind])).toEqual([["f2", "fact"], ["t9", "turn"], ["s4", "summary"], ["s7", "summary"]]);
    expect(items[0].category).toBe("decision");
    expect(items[1].speaker).toBe("user");
    expect(items[2]).toEqual({ id: "s4", kind: "summary", text: "Talked about the parser.", score: 0.1, valid_from: FEB_1, valid_to: null, sources: [{ conversation: "e2e", message: "m3" }] });
    expect(parseMemoryItems({})).toEqual([]);
  });

  it("says how often and when a pattern was seen, and which are habits", () => {
    expect(seenTimes(1)).toBe("seen once");
    expect(seenTimes(5)).toBe("seen 5 times");
    expect(isHabit({ evidence_count: 3 })).toBe(true);
    expect(isHabit({ evidence_count: 2 })).toBe(false);
    expect(patternDates({ first_seen: JAN_5, last_seen: FEB_1 })).toBe("first 2025-01-05, last 2025-02-01");
    expect(patternDates({ first_seen: JAN_5, last_seen: JAN_5 + 3600_000 })).toBe("2025-01-05");
    expect(patternDates({ first_seen: null, last_seen: FEB_1 })).toBe("2025-02-01");
    expect(patternDates({ first_seen: null, last_seen: null })).toBe("");
    expect(daySpan(JAN_5, FEB_1)).toBe("2025-01-05 to 2025-02-01");
    expect(daySpan(null, FEB_1)).toBe("2025-02-01");
  });

  it("says which turns of which conversation a summary covers, and who wrote it", () => {
    expect(summaryTurns(summary)).toBe("turns 1-12 of chat 12");
    expect(summaryTurns({ conversation: "e2e-habits", first_seq: 13, last_seq: 24 })).toBe("turns 13-24 of conversation e2e-habits");
    expect(summaryTurns({ conversation: "e2e-habits", first_seq: 5, last_seq: 5 })).toBe("turn 5 of conversation e2e-habits");
    expect(summaryTurns({ conversation: "12", first_seq: null, last_seq: 12 })).toBe("turns of chat 12");
    expect(summaryTurns({ conversation: "", first_seq: 1, last_seq: 12 })).toBe("turns 1-12");
    expect(summaryOrigin("model")).toBe("written by a model");
    expect(summaryOrigin("extractive")).toBe("picked from the turns");
  });
});
