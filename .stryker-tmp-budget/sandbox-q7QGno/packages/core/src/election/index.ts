// @ts-nocheck
export { electorDecision, type ElectorDecision, type ElectorView, type ElectorWait } from "./elector.ts";
