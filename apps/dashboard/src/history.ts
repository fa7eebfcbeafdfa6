import { HISTORY_KEEP, type AvailabilitySample } from "./view.ts";

const KEY = "drainkit.history";

/**
 * The availability history this tab has seen. The control plane keeps none
 * (there is no history endpoint), so it lives in sessionStorage: a reload
 * keeps the chart, a new tab starts empty.
 */
export function loadHistory(storage: Pick<Storage, "getItem">): AvailabilitySample[] {
  try {
    const raw = JSON.parse(storage.getItem(KEY) ?? "[]") as unknown;
    if (!Array.isArray(raw)) return [];
    return raw
      .filter((s): s is AvailabilitySample => typeof s === "object" && s !== null && Number.isFinite((s as AvailabilitySample).t) && typeof (s as AvailabilitySample).pools === "object")
      .slice(-HISTORY_KEEP);
  } catch {
    return [];
  }
}

export function saveHistory(storage: Pick<Storage, "setItem">, history: readonly AvailabilitySample[]): void {
  try {
    storage.setItem(KEY, JSON.stringify(history.slice(-HISTORY_KEEP)));
  } catch {
    // A full or disabled storage only costs the history across a reload.
  }
}
