// @ts-nocheck
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { startEtcd, type EtcdCluster } from "@drainkit/store-etcd/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { NODE, run, userEnv } from "./run.ts";

const { project, packed } = inject("consumer");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

/**
 * Each public package's README opens with an example a user can paste. Those
 * that run to completion are run here exactly as written, as `node <file>.ts`
 * in the installed project; the rest say why not, so a new package has to
 * choose one or the other.
 */
const NOT_RUN_HERE: Readonly<Record<string, string>> = {
  "@drainkit/http": "serves the control API on port 7400 until SIGTERM; bins.test.ts serves the same API through the installed drainkit",
  "@drainkit/agent": "a host that runs until SIGTERM beside a control plane; bins.test.ts embeds the installed agent the same way and drains it",
  "@drainkit/cli": "its first example is a shell session; bins.test.ts runs the installed drainctl",
  "@drainkit/control-plane": "its first example is a shell session; bins.test.ts runs the installed drainkit serve",
  "@drainkit/client": "talks to a running control plane; the client's own test runs the same code (scripts/readme-example.ts) against a real drainkit serve",
};

/** The first ```ts block of a README. */
function firstTsExample(readme: string): string | undefined {
  return /^```ts\n([\s\S]*?)^```$/m.exec(readme)?.[1];
}

const allExamples = packed.map((p) => ({ name: p.name, file: `${p.name.replace("@drainkit/", "")}.ts`, code: firstTsExample(readFileSync(join(p.dir, "README.md"), "utf8")) }));
const examples = allExamples.filter((e) => !(e.name in NOT_RUN_HERE));

describe("README first examples, from the installed packages", () => {
  const dir = join(project, "readme");
  let etcd: EtcdCluster | undefined;

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), '{"type":"module"}\n');
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it("every package is either run here or says why not", () => {
    for (const p of packed) expect(p.name in NOT_RUN_HERE || examples.some((e) => e.name === p.name && e.code !== undefined), `${p.name}: no \`\`\`ts example in its README`).toBe(true);
  });

  it("type-check under strict NodeNext (the servers' too)", () => {
    for (const e of allExamples) if (e.code !== undefined) writeFileSync(join(dir, e.file), e.code);
    const tsconfig = {
      compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, types: ["node"], skipLibCheck: true },
      include: ["*.ts"],
    };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
    const r = run(NODE, [tsc, "-p", "tsconfig.json"], { cwd: dir, allowFailure: true });
    expect(r.stdout + r.stderr).toBe("");
  });

  it.each(examples.map((e) => [e.name, e] as const))("%s runs as written with plain node", (_name, e) => {
    let code = e.code ?? "";
    // The one substitution: the etcd example's endpoint becomes the test's own etcd.
    if (e.name === "@drainkit/store-etcd") code = code.replaceAll("http://127.0.0.1:2379", etcd!.endpoints[0]!);
    writeFileSync(join(dir, e.file), code);
    const r = run(NODE, [e.file], { cwd: dir, env: userEnv(), timeoutMs: 120_000 });
    console.log(`${e.name}:\n${r.stdout}`);
    expect(r.stdout.length).toBeGreaterThan(0);
  });
});
