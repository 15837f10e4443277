// Writes src/protocol.js (the protocol's constants) and src/protocol.d.ts (a TypeScript type
// for every frame and event, and the constants' types) from docs/protocol.schema.json, so that
// no client copies them by hand. `node scripts/generate-protocol.mjs --check` only compares and
// exits 1 when either file is out of date (the test suite runs it). The types need the dev
// dependency json-schema-to-typescript (`npm ci`).
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const schemaPath = process.env.PROTOCOL_SCHEMA || join(here, "..", "..", "..", "docs", "protocol.schema.json");
const outPath = join(here, "..", "src", "protocol.js");
const typesPath = join(here, "..", "src", "protocol.d.ts");
const GENERATED = "// Generated from docs/protocol.schema.json by scripts/generate-protocol.mjs: do not edit.";

// The `type` values of a discriminated union, in the schema's (sorted) order.
function types(schema, union) {
  return Object.keys(schema.$defs[union].discriminator.mapping);
}

function constants(schema) {
  const defs = schema.$defs;
  const facts = schema["x-protocol"];
  const events = types(schema, "ServerEvent");
  const frames = types(schema, "ClientMessage");
  const closeCodes = Object.fromEntries(
    Object.entries(facts.close_codes).map(([code, meaning]) => [Number(code), meaning]),
  );
  return {
    EVENT_TYPES: events,
    FRAME_TYPES: frames,
    ERROR_CODES: defs.ErrorCode.enum,
    TURN_ENDING_ERRORS: facts.turn_ending_errors,
    PROGRESS_STEPS: defs.ProgressEvent.properties.step.enum,
    HANDOFF_STATUSES: defs.HandoffEvent.properties.status.enum,
    CONVERSATION_STATUSES: defs.ConversationSummary.properties.status.enum,
    ROLES: defs.UserInfo.properties.role.enum,
    CLOSE_CODES: closeCodes,
    CLOSE_NO_RECONNECT: facts.close_no_reconnect,
    MAX_MESSAGE_CHARS: facts.max_message_chars,
    MAX_FRAME_BYTES: facts.max_frame_bytes,
    IDLE_TIMEOUT_S: facts.idle_timeout_s,
  };
}

export function render(schema) {
  const lines = [GENERATED, "// Limits are the server's defaults; a deployment may configure others.", ""];
  for (const [name, value] of Object.entries(constants(schema))) {
    const frozen = typeof value === "object" ? `Object.freeze(${JSON.stringify(value)})` : JSON.stringify(value);
    lines.push(`export const ${name} = ${frozen};`);
  }
  return `${lines.join("\n")}\n`;
}

// Property titles (pydantic's) would become one type alias per field: only the definitions
// keep theirs, so each frame and event is one interface.
function untitled(node, isDefinition = false) {
  if (Array.isArray(node)) return node.map((item) => untitled(item));
  if (!node || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "title" && !isDefinition) continue;
    if (key === "$defs") {
      out.$defs = Object.fromEntries(Object.entries(value).map(([n, d]) => [n, untitled(d, true)]));
    } else if (key !== "x-protocol") {
      out[key] = untitled(value);
    }
  }
  return out;
}

function literalType(value) {
  if (Array.isArray(value)) return `readonly [${value.map(literalType).join(", ")}]`;
  if (value && typeof value === "object") {
    const fields = Object.entries(value).map(([k, v]) => `readonly ${JSON.stringify(k)}: ${literalType(v)}`);
    return `{ ${fields.join("; ")} }`;
  }
  return JSON.stringify(value);
}

export async function renderTypes(schema) {
  const { compile } = await import("json-schema-to-typescript");
  const types = await compile({ ...untitled(schema, true), title: "Protocol" }, "Protocol", {
    bannerComment: "",
    unreachableDefinitions: true,
    additionalProperties: false,
    format: false,
  });
  const lines = [GENERATED, "", types.trim(), ""];
  for (const [name, value] of Object.entries(constants(schema))) {
    lines.push(`export declare const ${name}: ${literalType(value)};`);
  }
  return `${lines.join("\n")}\n`;
}

const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
const outputs = [
  [outPath, render(schema)],
  [typesPath, await renderTypes(schema)],
];
if (process.argv.includes("--check")) {
  let stale = false;
  for (const [path, text] of outputs) {
    const current = existsSync(path) ? readFileSync(path, "utf8") : null;
    if (current !== text) {
      console.error(`${path} is out of date; run: node clients/js/scripts/generate-protocol.mjs`);
      stale = true;
    }
  }
  if (stale) process.exit(1);
  console.log("src/protocol.js and src/protocol.d.ts are up to date");
} else {
  for (const [path, text] of outputs) {
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}
