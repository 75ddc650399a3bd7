// The npm packages that only some configurations need, loaded on first use.
//
// Imported at start, `yaml` (a YAML or JSON configuration), `bcryptjs`
// (userlist bcrypt passwords), `re2js` (regular expressions in rules) and
// `hono` (stats pages) add ~17 MiB to the resident memory of every process
// whether its configuration uses them or not (measured on Bun 1.4.5:
// yaml +7.2, bcryptjs +3.6, re2js +3.6, hono +2.5 MiB over an empty process;
// bench/results/churn-gc-pacing.md). A configuration's compile step is
// synchronous, so they are loaded with `require` on first use: Bun has it in
// every module, and its bundler puts the package in the binary and runs it on
// the first call only; under Deno, node:module's createRequire loads the
// packages' CommonJS builds from node_modules. The packages are never also
// imported statically (that would load a second copy): `import type` only.
import { createRequire } from "node:module";

// Bun defines `require` in ES modules; Deno does not.
declare const require: ((id: string) => unknown) | undefined;

let denoRequire: ((id: string) => unknown) | undefined;

function fromNodeModules(id: string): unknown {
  denoRequire ??= createRequire(import.meta.url);
  return denoRequire(id);
}

// Each loader names its package literally in `require("...")`: that is what the bundler looks for.
let yaml: typeof import("yaml") | undefined;
let bcrypt: typeof import("bcryptjs") | undefined;
let re2: typeof import("re2js") | undefined;
let hono: typeof import("hono") | undefined;
let honoBasicAuth: typeof import("hono/basic-auth") | undefined;

/** The YAML parser (`yaml`). */
export function yamlPackage(): typeof import("yaml") {
  return yaml ??= (typeof require === "function" ? require("yaml") : fromNodeModules("yaml")) as typeof import("yaml");
}

/** bcrypt (`bcryptjs`). */
export function bcryptPackage(): typeof import("bcryptjs") {
  return bcrypt ??= (typeof require === "function" ? require("bcryptjs") : fromNodeModules("bcryptjs")) as typeof import("bcryptjs");
}

/** RE2 (`re2js`). */
export function re2Package(): typeof import("re2js") {
  return re2 ??= (typeof require === "function" ? require("re2js") : fromNodeModules("re2js")) as typeof import("re2js");
}

/** The web framework of the stats side (`hono`). */
export function honoPackage(): typeof import("hono") {
  return hono ??= (typeof require === "function" ? require("hono") : fromNodeModules("hono")) as typeof import("hono");
}

/** hono's basic authentication middleware (`hono/basic-auth`). */
export function honoBasicAuthPackage(): typeof import("hono/basic-auth") {
  return honoBasicAuth ??= (typeof require === "function" ? require("hono/basic-auth") : fromNodeModules("hono/basic-auth")) as typeof import("hono/basic-auth");
}
