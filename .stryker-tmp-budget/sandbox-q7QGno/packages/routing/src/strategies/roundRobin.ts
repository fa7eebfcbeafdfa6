// @ts-nocheck
import type { RoleView, RouteMember, Strategy } from "../types.ts";

/**
 * Each routable member in turn. The cursor survives membership changes, so a
 * member leaving does not restart the rotation at the first member.
 *
 * @example
 * const rr = roundRobin();
 * rr.pick(view, undefined); // next member
 */
export function roundRobin(): Strategy {
  let cursor = 0;
  return {
    name: "round-robin",
    pick(view: RoleView): RouteMember | undefined {
      const members = view.members();
      if (members.length === 0) return undefined;
      if (cursor >= members.length) cursor = 0;
      return members[cursor++];
    },
  };
}
