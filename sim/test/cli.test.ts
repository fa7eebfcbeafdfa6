import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "drainkit-sim-"));
const scenarioFile = join(dir, "small.yaml");
writeFileSync(
  scenarioFile,
  `name: small
durationMs: 3600000
fleet: { nodes: 40, pools: 2 }
budget: { maxUnavailable: "25%" }
traffic: { ratePerNode: 10, serviceMs: 200, tickMs: 500 }
actions:
  - { type: rolling-upgrade, at: 0, upgradeMs: 10000 }
faults:
  - { type: coordinator-failover, at: 20000 }
`,
);

function sim(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  // "--" first, as `pnpm sim -- run …` passes it through.
  return spawnSync(process.execPath, ["--import", "tsx", cli, "--", ...args], { encoding: "utf8" });
}

/** As `pnpm sim` runs it: inside sim/, with the user's directory in INIT_CWD. */
function simFrom(userDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ["--import", "tsx", cli, "--", ...args], { encoding: "utf8", cwd: fileURLToPath(new URL("..", import.meta.url)), env: { ...process.env, INIT_CWD: userDir } });
}

describe("pnpm sim CLI", () => {
  it("run --json prints one report object; --trace and --html write their files", () => {
    const trace = join(dir, "t.jsonl");
    const html = join(dir, "r.html");
    const out = sim("run", scenarioFile, "--seed", "5", "--json", "--trace", trace, "--html", html);
    expect(out.stderr).toBe("");
    expect(out.status).toBe(0);
    const report = JSON.parse(out.stdout) as Record<string, unknown>;
    for (const key of ["scenario", "seed", "nodes", "events", "simulatedMs", "wallMs", "eventsPerSec", "drains", "minAvailability", "lostRequests", "lostWorkloads", "invariantViolations", "hash"]) {
      expect(report).toHaveProperty(key);
    }
    // The failover's rebuilt rollout redoes the deposed leader's wave: every node upgraded, some drained twice.
    expect(report).toMatchObject({ scenario: "small", seed: 5, nodes: 40, invariantViolations: [], status: "completed", notUpgraded: 0 });
    expect((report.drains as { completed: number }).completed).toBeGreaterThanOrEqual(40);
    const lines = readFileSync(trace, "utf8").trim().split("\n");
    expect(lines.length).toBeGreaterThan(40);
    expect(JSON.parse(lines[0]!)).toHaveProperty("type");
    expect(readFileSync(html, "utf8")).toContain("Drains in flight");
    // Where it wrote the page, in the one JSON object (stderr stays empty).
    expect(report["html"]).toBe(html);
  });

  it("writes --html relative to the user's directory and prints the path under the summary", () => {
    const out = simFrom(dir, "run", "small.yaml", "--seed", "5", "--html", "rel.html");
    expect(out.status).toBe(0);
    expect(out.stdout.trimEnd().split("\n").at(-1)).toBe(`  HTML report: ${join(dir, "rel.html")}`);
    expect(readFileSync(join(dir, "rel.html"), "utf8")).toContain(`<meta name="viewport"`);
  });

  it("ends its progress bar at 100% on a terminal, not part-way at the virtual time it stopped", () => {
    // util-linux `script` gives the run a real pseudo-terminal, so stderr is a TTY as for a person at a shell.
    const command = [process.execPath, "--import", "tsx", cli, "--", "run", scenarioFile, "--seed", "5"].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const out = spawnSync("script", ["-qfec", `stty cols 120 rows 40; exec ${command}`, "/dev/null"], { encoding: "utf8", cwd: fileURLToPath(new URL("..", import.meta.url)) });
    expect(out.status).toBe(0);
    const shown = [...out.stdout.matchAll(/(\d+)% \| (\d+)\/(\d+) s simulated/g)];
    expect(shown.length).toBeGreaterThan(0);
    const last = shown.at(-1)!;
    expect(last[1]).toBe("100");
    expect(last[2]).toBe(last[3]);
    // The scenario runs for an hour at most; this run is done long before, and the bar still ends full.
    expect(Number(last[3])).toBeLessThan(3600);
  });

  it("gives the same events and hash with and without --html", () => {
    const plain = JSON.parse(sim("run", scenarioFile, "--seed", "3", "--json").stdout) as { events: number; hash: string };
    const html = JSON.parse(sim("run", scenarioFile, "--seed", "3", "--json", "--html", join(dir, "h.html")).stdout) as { events: number; hash: string };
    expect(html.events).toBe(plain.events);
    expect(html.hash).toBe(plain.hash);
  });

  it("loads a relative scenario path from the user's directory and prints a replay command for that exact file and seed", () => {
    const out = simFrom(dir, "run", "small.yaml", "--seed", "5", "--json");
    expect(out.stderr).toBe("");
    const report = JSON.parse(out.stdout) as { replay: string; hash: string };
    expect(report.replay).toBe(`pnpm sim -- run ${scenarioFile} --seed 5 --nodes 40`);
    // The hint replays the same run from anywhere.
    const again = JSON.parse(simFrom(tmpdir(), ...report.replay.split(" ").slice(3), "--json").stdout) as { hash: string };
    expect(again.hash).toBe(report.hash);
  });

  it("runs the shipped control plane and agents with --mode full-stack, and its replay command keeps the mode", () => {
    const out = simFrom(dir, "run", "small.yaml", "--seed", "4", "--nodes", "16", "--mode", "full-stack", "--json");
    expect(out.stderr).toBe("");
    const report = JSON.parse(out.stdout) as { mode: string; replay: string; hash: string; status: string; invariantViolations: unknown[] };
    expect(report.mode).toBe("full-stack");
    expect(report.invariantViolations).toEqual([]);
    expect(report.status).toBe("completed");
    expect(report.replay).toBe(`pnpm sim -- run ${scenarioFile} --seed 4 --nodes 16 --mode full-stack`);
    const again = JSON.parse(simFrom(tmpdir(), ...report.replay.split(" ").slice(3), "--json").stdout) as { hash: string };
    expect(again.hash).toBe(report.hash);
    const bad = sim("run", scenarioFile, "--mode", "neither");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("--mode must be core or full-stack");
  });

  it("ends a scenario that cannot finish as blocked, exit code 3, naming every blocked node and its reason", () => {
    const file = fileURLToPath(new URL("../scenarios/regressions/never-admitted.yaml", import.meta.url));
    const out = sim("run", file);
    expect(out.status).toBe(3);
    expect(out.stdout).toContain("BLOCKED");
    // The reason is the guard's own refusal, naming the pool.
    for (let i = 0; i < 10; i++) expect(out.stdout).toMatch(new RegExp(`blocked n${i} \\(pool pool-${i % 2}\\): the guard refuses it .*Pool "pool-${i % 2}" would drop to`));
  });

  it("names the bad field of an invalid scenario", () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "name: bad\ndurationMs: 1000\nfleet: { nodes: 0, pools: 1 }\nbudget: {}\nactions: []\n");
    const out = sim("run", bad);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain("fleet.nodes");
  });

  it("sweep runs seeds on worker threads and summarises", () => {
    const out = sim("sweep", scenarioFile, "--seeds", "1..4", "--workers", "2", "--json");
    expect(out.status).toBe(0);
    const summary = JSON.parse(out.stdout) as { runs: { seed: number; hash: string }[] };
    expect(summary).toMatchObject({ scenario: "small", seeds: 4, workers: 2, passed: 4, failures: [] });
    // Each seed's hash, equal to a single run of that seed: worker threads do not change a run.
    expect(summary.runs.map((r) => r.seed)).toEqual([1, 2, 3, 4]);
    const one = JSON.parse(sim("run", scenarioFile, "--seed", "2", "--json").stdout) as { hash: string };
    expect(summary.runs[1]!.hash).toBe(one.hash);
  });
});
