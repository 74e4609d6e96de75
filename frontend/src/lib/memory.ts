// What the memory panel shows of facts and recalled items: their validity, the scope
// groups, item ids, and which sources open a chat.

import type { MemoryCategory, MemoryDecision, MemoryFact, MemoryItem, MemorySource } from "./api";

/** Categories in the order the panel lists them: what binds the work first. */
export const CATEGORY_ORDER: MemoryCategory[] = ["constraint", "decision", "preference", "name", "fact"];

/** The calendar day of a time in milliseconds, as the other panels write days (UTC). */
export function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The id the memory API names a fact by in PATCH and DELETE. */
export function factItemId(id: number): string {
  return `f${id}`;
}

/** `f12` and `t34` read back; anything else is not a memory item. */
export function parseItemId(id: string): { kind: "fact" | "turn"; n: number } | null {
  const m = /^([ft])(\d+)$/.exec(id);
  if (!m) return null;
  const n = Number(m[2]);
  if (!Number.isSafeInteger(n) || n <= 0) return null;
  return { kind: m[1] === "f" ? "fact" : "turn", n };
}

/**
 * When a fact held: "since 2025-01-05" while it does, "2025-01-05 to 2025-02-01,
 * superseded by f13" once contradicted; "" for an item without dates.
 */
export function validity(from: number | null, to: number | null, supersededBy: number | null = null): string {
  if (to === null) return from === null ? "" : `since ${day(from)}`;
  const span = from === null ? `until ${day(to)}` : `${day(from)} to ${day(to)}`;
  return supersededBy === null ? span : `${span}, superseded by ${factItemId(supersededBy)}`;
}

/** When a recalled item held (a fact) or was said (a turn). */
export function itemWhen(item: Pick<MemoryItem, "kind" | "valid_from" | "valid_to">): string {
  if (item.kind === "turn") return item.valid_from === null ? "" : `said ${day(item.valid_from)}`;
  return validity(item.valid_from, item.valid_to);
}

export function isSuperseded(fact: Pick<MemoryFact, "valid_to">): boolean {
  return fact.valid_to !== null;
}

export interface FactGroup {
  scope: "project" | "user";
  facts: MemoryFact[];
}

function rank(category: MemoryCategory): number {
  const i = CATEGORY_ORDER.indexOf(category);
  return i === -1 ? CATEGORY_ORDER.length : i;
}

/**
 * The project's facts, then the user's (recalled in every project); in each, by
 * category, what holds now before its history, newest first. Empty groups are left out.
 */
export function groupFacts(facts: MemoryFact[]): FactGroup[] {
  const order = (a: MemoryFact, b: MemoryFact) =>
    rank(a.category) - rank(b.category) ||
    Number(isSuperseded(a)) - Number(isSuperseded(b)) ||
    b.valid_from - a.valid_from ||
    b.id - a.id;
  const groups: FactGroup[] = [
    { scope: "project", facts: facts.filter((f) => f.project_id !== null).sort(order) },
    { scope: "user", facts: facts.filter((f) => f.project_id === null).sort(order) },
  ];
  return groups.filter((g) => g.facts.length > 0);
}

/** A chat to open at a message: live chats name both by number. */
export interface SourceTarget {
  conversation: number;
  /** Null when the message id is not a chat message's (the chat opens at its end). */
  message: number | null;
}

function positiveInt(s: string): number | null {
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** The chat a source opens, or null for an imported transcript (no chat of Mira's). */
export function sourceTarget(source: MemorySource): SourceTarget | null {
  const conversation = positiveInt(source.conversation);
  if (conversation === null) return null;
  return { conversation, message: positiveInt(source.message) };
}

/** "chat 17, message 204" for a live chat; the transcript's own ids otherwise. */
export function sourceLabel(source: MemorySource): string {
  return sourceTarget(source) ? `chat ${source.conversation}, message ${source.message}` : `${source.conversation} / ${source.message}`;
}

/** What the panel says after "Remember", naming the facts involved. */
export function decisionNotice(decision: MemoryDecision): string {
  const id = factItemId(decision.id);
  switch (decision.decision) {
    case "added":
      return `Remembered as ${id}.`;
    case "updated":
      return `Updated ${id} with the new detail.`;
    case "unchanged":
      return `Already known as ${id}.`;
    case "superseded":
      return `Remembered as ${id}; it supersedes ${decision.old.map(factItemId).join(", ")} (kept as history).`;
  }
}
