// @ts-nocheck
export { DrainkitError, isDrainkitError, type DrainkitErrorOptions } from "./DrainkitError.ts";
export { catalogue, errorEntry, httpStatusFor, isErrorCode, type ErrorCode, type ErrorEntry } from "./catalogue.ts";
