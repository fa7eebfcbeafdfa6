// @ts-nocheck
// Transitions per second of the role and node state machines (the simulator
// applies millions). Baseline: a bare object spread, the floor any immutable
// transition pays.
import { figure, opsPerSecond } from "@drainkit/bench";
import { createNodeState, createRoleState, transition, transitionNode, type NodeEvent, type RoleEvent, type RoleState } from "../src/index.ts";

const cycle: RoleEvent[] = [
  { type: "cordon", owner: "ops", reason: "patching" },
  { type: "drain", reason: "upgrade", deadline: 1e15 },
  { type: "drained" },
  { type: "resume" },
];

let role: RoleState = createRoleState("ingest");
let i = 0;
const baseline = opsPerSecond(() => {
  role = { ...role, phase: role.phase === "active" ? "cordoned" : "active" };
});
role = createRoleState("ingest");
figure(
  "core.state.role_transitions",
  opsPerSecond(() => {
    const r = transition(role, cycle[i++ & 3]!);
    if (r.ok) role = r.state;
  }),
  "ops/s",
  { baseline },
);

role = createRoleState("ingest");
const noop: RoleEvent = { type: "uncordon", owner: "ops" };
figure("core.state.role_noop_transitions", opsPerSecond(() => void transition(role, noop)), "ops/s", { baseline });

let node = createNodeState();
const nodeCycle: NodeEvent[] = [
  { type: "cordon", owner: "ops", reason: "patching", roles: ["ingest"] },
  { type: "drain", reason: "upgrade", deadline: 1e15 },
  { type: "drained" },
  { type: "resume" },
];
figure(
  "core.state.node_transitions_4_roles",
  opsPerSecond(() => {
    const r = transitionNode(node, nodeCycle[i++ & 3]!);
    if (r.ok) node = r.state;
  }),
  "ops/s",
  { baseline },
);

node = createNodeState();
let now = 0;
figure(
  "core.state.node_transitions_4_roles_with_expiry",
  opsPerSecond(() => {
    const r = transitionNode(node, nodeCycle[i++ & 3]!, (now += 1));
    if (r.ok) node = r.state;
  }),
  "ops/s",
  { baseline },
);
