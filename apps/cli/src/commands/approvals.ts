import { Command } from "commander";
import { describeChange, type Approval } from "../approvals.ts";
import { Session, requireReason, auditFields, type AuditFields } from "../session.ts";

const STATES = ["pending", "approved", "applied", "failed", "rejected", "expired"];

const table = (items: readonly Approval[]) => ({
  head: ["ID", "STATE", "CHANGE", "REQUESTED BY", "NEEDS", "EXPIRES", "DECIDED BY"],
  rows: items.map((a) => [a.id, a.state, describeChange(a.change), a.requestedBy.id, a.requiredScope, new Date(a.expiresAt).toISOString(), a.decidedBy ?? ""]),
});

const detail = (a: Approval): string =>
  [
    `ID:            ${a.id}`,
    `State:         ${a.state}`,
    `Change:        ${describeChange(a.change)}`,
    `Why approval:  ${a.reasons.join("; ")}`,
    `Requested by:  ${a.requestedBy.id} at ${new Date(a.createdAt).toISOString()}`,
    `Needs:         a second principal with ${a.requiredScope}`,
    `Expires:       ${new Date(a.expiresAt).toISOString()}`,
    ...(a.decidedBy === undefined ? [] : [`Decided by:    ${a.decidedBy}${a.decisionReason === undefined ? "" : ` (${a.decisionReason})`}`]),
    ...(a.result?.errorCode === undefined ? [] : [`Refused:       ${a.result.errorCode}: ${a.result.message ?? ""}`]),
    ...(a.result?.auditId === undefined ? [] : [`Applied:       audit entry ${a.result.auditId}`]),
  ].join("\n") + "\n";

const path = (id: string, verb = ""): string => `/control/approvals/${encodeURIComponent(id)}${verb}`;

/** `drainctl approvals list|get|approve|reject`: the two-person rule's second half. */
export function approvalsCommand(): Command {
  const approvals = new Command("approvals").alias("approval").description("Changes waiting for a second principal's approval: list, inspect, approve, reject");

  approvals
    .command("list")
    .alias("ls")
    .description("Staged changes, newest first")
    .option("--state <state>", `only this state (${STATES.join(", ")})`)
    .action(async (o: { state?: string }, cmd: Command) => {
      const s = new Session(cmd);
      const { body } = await s.client.call<{ items: Approval[] }>("GET", "/control/approvals", { query: o.state === undefined ? {} : { state: o.state } });
      s.print(body, () => (body.items.length === 0 ? `No ${o.state ?? ""}${o.state === undefined ? "" : " "}approvals.\n` : table(body.items)));
    });

  approvals
    .command("get")
    .argument("<id>", "approval id")
    .description("One staged change: what it does, why it needs approval, who decided")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const { body } = await s.client.call<Approval>("GET", path(id));
      s.print(body, () => detail(body));
    });

  for (const verb of ["approve", "reject"] as const) {
    approvals
      .command(verb)
      .argument("<id>", "approval id")
      .description(verb === "approve" ? "Approve a change you did not request: it is applied once, re-checked against the pool budgets" : "Reject a change (the requester may withdraw its own)")
      .option("--reason <text>", "why; required, recorded on the approval and in the audit log")
      .option("--ticket <id>", "change ticket; recorded in the audit log")
      .action(async (id: string, o: AuditFields, cmd: Command) => {
        const s = new Session(cmd);
        requireReason(o, `approvals ${verb}`);
        const { body } = await s.client.call<Approval>("POST", path(id, `:${verb}`), { body: auditFields(o) });
        s.print(body, () => detail(body));
      });
  }
  return approvals;
}
