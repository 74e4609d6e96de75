import { create } from "zustand";

import type { ActivityData, ProgressData } from "../lib/protocol";

/** Older items are dropped past this many. */
export const ACTIVITY_CAP = 500;

export type ActivityItem =
  | { id: string; kind: "activity"; ts: string; data: ActivityData }
  | { id: string; kind: "progress"; ts: string; data: ProgressData };

interface ActivityStore {
  /** Newest first. */
  items: ActivityItem[];
  activity(data: ActivityData): void;
  /** A progress event replaces the earlier item of the same task, so a task shows once. */
  progress(data: ProgressData, now?: Date): void;
  clear(): void;
}

let counter = 0;

export const useActivityStore = create<ActivityStore>((set) => ({
  items: [],
  activity(data) {
    const item: ActivityItem = { id: `a${counter++}`, kind: "activity", ts: data.ts, data };
    set((s) => ({ items: [item, ...s.items].slice(0, ACTIVITY_CAP) }));
  },
  progress(data, now = new Date()) {
    const id = `p-${data.task}`;
    const item: ActivityItem = { id, kind: "progress", ts: now.toISOString(), data };
    set((s) => ({ items: [item, ...s.items.filter((i) => i.id !== id)].slice(0, ACTIVITY_CAP) }));
  },
  clear() {
    set({ items: [] });
  },
}));
