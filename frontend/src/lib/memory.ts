// What the memory panel shows of facts, recalled items, the profile, habits and
// summaries: their validity and dates, the scope groups, item ids, which sources open a
// chat, and the reading of the server's answers (field by field, since an older server
// leaves out what it does not have yet).

import type {
  MemoryCategory,
  MemoryDecision,
  MemoryFact,
  MemoryItem,
  MemoryItemKind,
  MemoryPattern,
  MemoryProfile,
  MemorySource,
  MemorySummary,
  ProfileEntry,
} from "./api";

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

const KIND_OF_PREFIX: Record<string, MemoryItemKind> = { f: "fact", t: "turn", p: "pattern", s: "summary" };

/** `f12`, `t34`, `p3` and `s4` read back; anything else is not a memory item. */
export function parseItemId(id: string): { kind: MemoryItemKind; n: number } | null {
  const m = /^([ftps])(\d+)$/.exec(id);
  if (!m) return null;
  const n = Number(m[2]);
  if (!Number.isSafeInteger(n) || n <= 0) return null;
  return { kind: KIND_OF_PREFIX[m[1]], n };
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

/** "2025-01-05", or "2025-01-05 to 2025-02-01" when the two fall on different days; "" without dates. */
export function daySpan(from: number | null, to: number | null): string {
  if (from === null) return to === null ? "" : day(to);
  if (to === null || day(to) === day(from)) return day(from);
  return `${day(from)} to ${day(to)}`;
}

/** When a recalled item held (a fact), was said (a turn) or its turns were (a summary). */
export function itemWhen(item: Pick<MemoryItem, "kind" | "valid_from" | "valid_to">): string {
  if (item.kind === "turn") return item.valid_from === null ? "" : `said ${day(item.valid_from)}`;
  if (item.kind === "summary" || item.kind === "pattern") return daySpan(item.valid_from, item.valid_to);
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

/** How many sightings make a pattern a habit (the server's profile lists those as `habits`). */
export const HABIT_EVIDENCE = 3;

export function isHabit(pattern: Pick<MemoryPattern, "evidence_count">): boolean {
  return pattern.evidence_count >= HABIT_EVIDENCE;
}

/** "seen once", "seen 5 times". */
export function seenTimes(count: number): string {
  return count === 1 ? "seen once" : `seen ${count} times`;
}

/** When a pattern was seen: "first 2025-01-05, last 2025-02-01", or the one day. */
export function patternDates(pattern: Pick<MemoryPattern, "first_seen" | "last_seen">): string {
  const { first_seen: first, last_seen: last } = pattern;
  if (first === null || last === null || day(first) === day(last)) return daySpan(first ?? last, null);
  return `first ${day(first)}, last ${day(last)}`;
}

/** "turns 1-12 of chat 17" for a live chat, "turns 1-12 of conversation conv-26" for a transcript. */
export function summaryTurns(summary: Pick<MemorySummary, "conversation" | "first_seq" | "last_seq">): string {
  const { first_seq: first, last_seq: last } = summary;
  const turns = first === null || last === null ? "turns" : first === last ? `turn ${first}` : `turns ${first}-${last}`;
  if (!summary.conversation) return turns;
  const where = positiveInt(summary.conversation) === null ? `conversation ${summary.conversation}` : `chat ${summary.conversation}`;
  return `${turns} of ${where}`;
}

/** Who wrote a summary, in words. */
export function summaryOrigin(origin: string): string {
  if (origin === "model") return "written by a model";
  if (origin === "extractive") return "picked from the turns";
  return origin;
}

// Reading the server's answers: a field of the wrong type or missing gets its empty
// value, and an entry without what names it (an id, a key) is left out.

type Fields = Record<string, unknown>;

function fields(value: unknown): Fields | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Fields) : null;
}

function text(value: unknown): string {
  if (typeof value === "string") return value;
  return typeof value === "number" && Number.isFinite(value) ? String(value) : "";
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function entries<T>(value: unknown, read: (f: Fields) => T | null): T[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v) => {
    const f = fields(v);
    const entry = f && read(f);
    return entry ? [entry] : [];
  });
}

/** The messages an item came from; ids may come as numbers. */
export function parseSources(value: unknown): MemorySource[] {
  return entries(value, (f) => {
    const conversation = text(f.conversation);
    return conversation ? { conversation, message: text(f.message) } : null;
  });
}

function readPattern(f: Fields): MemoryPattern | null {
  const id = text(f.id);
  const behaviour = text(f.behaviour);
  if (!id || !behaviour) return null;
  const sources = parseSources(f.sources);
  return {
    id,
    behaviour,
    // Without a count, each cited message is one sighting at least.
    evidence_count: numberOrNull(f.evidence_count) ?? sources.length,
    first_seen: numberOrNull(f.first_seen),
    last_seen: numberOrNull(f.last_seen),
    project_id: numberOrNull(f.project_id),
    sources,
  };
}

function readSummary(f: Fields): MemorySummary | null {
  const id = text(f.id);
  const summary = text(f.text);
  if (!id || !summary) return null;
  return {
    id,
    conversation: text(f.conversation),
    first_seq: numberOrNull(f.first_seq),
    last_seq: numberOrNull(f.last_seq),
    text: summary,
    origin: text(f.origin),
    project_id: numberOrNull(f.project_id),
    created_at: numberOrNull(f.created_at),
    from: numberOrNull(f.from),
    to: numberOrNull(f.to),
    sources: parseSources(f.sources),
  };
}

function readProfileEntry(f: Fields): ProfileEntry | null {
  const key = text(f.key);
  if (!key) return null;
  return { key, value: text(f.value), fact: text(f.fact), updated_at: numberOrNull(f.updated_at) };
}

/** `GET /api/memory/profile`; `habits` is missing from a server older than patterns. */
export function parseProfile(body: unknown): MemoryProfile {
  const f = fields(body);
  return { profile: entries(f?.profile, readProfileEntry), habits: entries(f?.habits, readPattern) };
}

/** `GET /api/memory/patterns`. */
export function parsePatterns(body: unknown): MemoryPattern[] {
  return entries(fields(body)?.patterns, readPattern);
}

/** `GET /api/memory/summaries`. */
export function parseSummaries(body: unknown): MemorySummary[] {
  return entries(fields(body)?.summaries, readSummary);
}

const KINDS: readonly string[] = ["fact", "turn", "pattern", "summary"] satisfies MemoryItemKind[];

function readItem(f: Fields): MemoryItem | null {
  const id = text(f.id);
  // A kind this panel does not know is read from the id, which names it (s4: a summary).
  const kind = KINDS.includes(text(f.kind)) ? (text(f.kind) as MemoryItemKind) : parseItemId(id)?.kind;
  if (!id || !kind) return null;
  const item: MemoryItem = {
    id,
    kind,
    text: text(f.text),
    score: numberOrNull(f.score) ?? 0,
    valid_from: numberOrNull(f.valid_from),
    valid_to: numberOrNull(f.valid_to),
    sources: parseSources(f.sources),
  };
  if (typeof f.category === "string") item.category = f.category as MemoryCategory;
  if (typeof f.speaker === "string") item.speaker = f.speaker;
  return item;
}

/** `GET /api/memory/search`: facts, turns and (from a newer server) summaries. */
export function parseMemoryItems(body: unknown): MemoryItem[] {
  return entries(fields(body)?.items, readItem);
}
