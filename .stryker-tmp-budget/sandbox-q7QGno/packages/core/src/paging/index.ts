// @ts-nocheck
export { pages, type PageOf } from "./pages.ts";
