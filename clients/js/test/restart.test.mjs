// A server restart mid-answer (the Python test kills the server and starts it again when this
// test writes RESTART_SIGNAL): the client reconnects with backoff, resumes, gets INTERRUPTED
// for the cut-off turn, sends the message again, and the answer arrives whole. The Python test
// runs it from a project that installed the packed package, so the import is by name.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { test } from "node:test";

import { ChatSocket } from "support-orchestrator-client";

const URL_ = process.env.CHAT_WS_URL;
const SIGNAL = process.env.RESTART_SIGNAL;

test("a chat survives a server restart mid-answer", { skip: !SIGNAL && "run by the Python test" }, async () => {
  const chat = new ChatSocket({ url: URL_, backoffBaseMs: 200, backoffMaxMs: 2000 });
  const seen = { tokens: 0, statuses: [], retrying: 0, errors: [] };
  try {
    const complete = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer: ${JSON.stringify(seen)}`)), 150000);
      chat.on("status", ({ status }) => seen.statuses.push(status));
      chat.on("retrying", () => (seen.retrying += 1));
      chat.on("error", (event) => seen.errors.push(event.code));
      chat.on("refused", ({ code }) => reject(new Error(`refused: ${code}`)));
      chat.on("token", () => {
        seen.tokens += 1;
        if (seen.tokens === 3) writeFileSync(SIGNAL, "restart now"); // mid-answer
      });
      chat.on("complete", (event) => {
        clearTimeout(timer);
        resolve(event);
      });
      let asked = false;
      chat.on("auth_success", () => {
        if (!asked) chat.send("How often should the tyres be rotated?");
        asked = true;
      });
      chat.connect(process.env.CHAT_TOKENS.split(",")[0]);
    });
    assert.ok(seen.statuses.includes("reconnecting"), JSON.stringify(seen));
    assert.deepEqual(seen.errors, ["INTERRUPTED"]);
    assert.equal(seen.retrying, 1);
    assert.match(complete.response, /word59/); // the whole answer of the second turn
    assert.equal(chat.busy, false);
  } finally {
    chat.disconnect();
  }
});
