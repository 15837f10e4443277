// Writes src/protocol.js from docs/protocol.schema.json: the protocol's constants, so that no
// client copies them by hand. `node scripts/generate-protocol.mjs --check` only compares and
// exits 1 when src/protocol.js is out of date (the test suite runs it).
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const schemaPath = process.env.PROTOCOL_SCHEMA || join(here, "..", "..", "..", "docs", "protocol.schema.json");
const outPath = join(here, "..", "src", "protocol.js");

// The `type` values of a discriminated union, in the schema's (sorted) order.
function types(schema, union) {
  return Object.keys(schema.$defs[union].discriminator.mapping);
}

export function render(schema) {
  const defs = schema.$defs;
  const facts = schema["x-protocol"];
  const events = types(schema, "ServerEvent");
  const frames = types(schema, "ClientMessage");
  const closeCodes = Object.fromEntries(
    Object.entries(facts.close_codes).map(([code, meaning]) => [Number(code), meaning]),
  );
  const constants = {
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
  const lines = [
    "// Generated from docs/protocol.schema.json by scripts/generate-protocol.mjs: do not edit.",
    "// Limits are the server's defaults; a deployment may configure others.",
    "",
  ];
  for (const [name, value] of Object.entries(constants)) {
    const frozen = typeof value === "object" ? `Object.freeze(${JSON.stringify(value)})` : JSON.stringify(value);
    lines.push(`export const ${name} = ${frozen};`);
  }
  return `${lines.join("\n")}\n`;
}

const text = render(JSON.parse(readFileSync(schemaPath, "utf8")));
if (process.argv.includes("--check")) {
  const current = existsSync(outPath) ? readFileSync(outPath, "utf8") : null;
  if (current !== text) {
    console.error(`${outPath} is out of date; run: node clients/js/scripts/generate-protocol.mjs`);
    process.exit(1);
  }
  console.log(`${outPath} is up to date`);
} else {
  writeFileSync(outPath, text);
  console.log(`wrote ${outPath}`);
}
