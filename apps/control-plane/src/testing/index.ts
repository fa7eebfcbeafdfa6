/**
 * Test helpers for code that talks to a real drainkit control plane.
 *
 * @example
 * import { startControlPlaneForTest } from "@drainkit/control-plane/testing";
 */
export { startControlPlaneForTest, type ControlPlaneForTest, type ControlPlaneForTestOptions } from "./startControlPlaneForTest.ts";
