// @ts-nocheck
import type { Clock, Counter, PoolBudget, Random } from "@drainkit/core";
import type { Mutate } from "../plan.ts";
import type { StoreView } from "../StoreView.ts";
import type { ConfigSchema } from "../types/config.ts";

/** What every verb family shares: time, randomness, reads of the store, and the one writer. */
export interface RegistryContext {
  readonly clock: Clock;
  readonly random: Random;
  readonly view: StoreView;
  /** The group-commit writer: every mutation goes through it, audited. */
  readonly mutate: Mutate;
  readonly schema: ConfigSchema;
  /** Budgets of pools the store does not hold (`createRegistry`'s `pools`); a stored pool of the same name replaces them. */
  readonly declaredPools: readonly PoolBudget[];
  /** Agent reports dropped because they were about an older drain epoch. */
  readonly staleReports?: Counter;
  /** Attempts left without an audit entry, by cause (`suppressed` unauthenticated refusals). */
  readonly unwritten?: Counter;
}
