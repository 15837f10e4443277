// Validates an AsyncAPI document with the AsyncAPI project's own parser; prints every
// diagnostic as JSON ([severity, message, path]) and exits 1 on any error (severity 0).
// Usage: node scripts/validate-asyncapi.mjs ../../docs/asyncapi.json
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const text = readFileSync(process.argv[2], "utf8");
const diagnostics = await new Parser().validate(text);
const shown = diagnostics.map((d) => [d.severity, d.message, d.path.join("/")]);
console.log(JSON.stringify(shown));
process.exit(shown.some(([severity]) => severity === 0) ? 1 : 0);
