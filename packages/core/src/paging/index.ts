export { pages, type PageOf } from "./pages.ts";
