// The client against a real server (started by tests/clients/test_js_client.py, which passes
// its address and tokens): a question answered, and the same after the socket is dropped
// mid-answer (a TCP proxy here cuts it), with every token delivered once, in order.
// Run: CHAT_WS_URL=ws://127.0.0.1:8000/ws/chat CHAT_TOKENS=t1,t2 node --experimental-websocket --test test/
import assert from "node:assert/strict";
import net from "node:net";
import { describe, test } from "node:test";

import { ChatSocket, TURN_ENDING_ERRORS } from "../src/index.js";

const URL_ = process.env.CHAT_WS_URL;
const TOKENS = (process.env.CHAT_TOKENS || "").split(",");
const QUESTION = "How often should the tyres be rotated?";

/** A TCP proxy in front of the server whose connections can be cut at will. */
async function proxy(target) {
  const { hostname, port } = new URL(target);
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(target);
  url.port = String(server.address().port);
  return {
    url: url.toString(),
    cut() {
      for (const socket of sockets) socket.destroy();
    },
    close() {
      this.cut();
      server.close();
    },
  };
}

/** Ask `question` once connected; resolves with what the client delivered. */
function ask(chat, token, question, onToken = () => {}) {
  return new Promise((resolve, reject) => {
    const tokens = [];
    const statuses = [];
    const timer = setTimeout(() => reject(new Error(`no answer; statuses ${statuses}`)), 60000);
    chat.on("status", ({ status }) => statuses.push(status));
    chat.on("token", (event) => {
      tokens.push(event);
      onToken(event, tokens.length);
    });
    chat.on("complete", (event) => {
      clearTimeout(timer);
      resolve({ tokens, complete: event, statuses });
    });
    chat.on("error", (event) => {
      if (TURN_ENDING_ERRORS.includes(event.code)) {
        clearTimeout(timer);
        reject(new Error(`turn ended with ${event.code}`));
      }
    });
    chat.on("refused", ({ code }) => reject(new Error(`refused: ${code}`)));
    let asked = false;
    chat.on("auth_success", () => {
      if (!asked) chat.send(question);
      asked = true;
    });
    chat.connect(token);
  });
}

describe("against a running server", { skip: !URL_ && "set CHAT_WS_URL and CHAT_TOKENS" }, () => {
  test("a question is answered, streamed token by token", async () => {
    const chat = new ChatSocket({ url: URL_ });
    try {
      const { tokens, complete } = await ask(chat, TOKENS[0], QUESTION);
      assert.ok(tokens.length > 1);
      assert.equal(tokens.map((t) => t.token).join(""), complete.response);
      assert.ok(complete.metadata.context.sources.length > 0);
      assert.equal(typeof complete.metadata.context.sources[0], "string"); // document names
      assert.ok(complete.metadata.context.passages.length > 0);
      assert.ok(chat.sessionId);
      assert.equal(chat.lastSeq, complete.seq);
      assert.equal(chat.busy, false);
    } finally {
      chat.disconnect();
    }
  });

  test("messages sent while an answer streams wait in line and are answered in order", async () => {
    const chat = new ChatSocket({ url: URL_ });
    try {
      const lined = [];
      const claimed = [];
      const answers = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("not all answered")), 60000);
        const completes = [];
        chat.on("refused", ({ code }) => reject(new Error(`refused: ${code}`)));
        chat.on("lined", ({ pending, position, turnId }) => {
          lined.push({ text: pending.text, position, turnId });
          // The next message may go as soon as this one is taken.
          if (lined.length === 1) assert.ok(chat.send("And the spare wheel?", { strategy: "enqueue" }));
        });
        chat.on("claimed", ({ pending }) => claimed.push(pending.text));
        chat.on("token", () => {
          if (chat.canSend && lined.length === 0 && completes.length === 0 && chat.pending === null) {
            assert.ok(chat.send("And the tyre pressures?"));
          }
        });
        chat.on("complete", (event) => {
          completes.push(event);
          if (completes.length === 3) {
            clearTimeout(timer);
            resolve(completes);
          }
        });
        chat.on("auth_success", () => chat.send(QUESTION));
        chat.connect(TOKENS[2]);
      });
      assert.deepEqual(
        lined.map(({ text, position }) => [text, position]),
        [["And the tyre pressures?", 1], ["And the spare wheel?", 2]],
      );
      assert.deepEqual(
        answers.map((a) => a.turn_id).slice(1),
        lined.map((l) => l.turnId),
      );
      assert.deepEqual(claimed, [QUESTION, "And the tyre pressures?", "And the spare wheel?"]);
      assert.equal(chat.busy, false);
    } finally {
      chat.disconnect();
    }
  });

  test("a socket dropped mid-answer reconnects, resumes and misses nothing", async () => {
    const cutter = await proxy(URL_);
    const chat = new ChatSocket({ url: cutter.url, backoffBaseMs: 50 });
    try {
      const { tokens, complete, statuses } = await ask(chat, TOKENS[1], QUESTION, (_, count) => {
        if (count === 2) cutter.cut(); // mid-answer: the turn goes on on the server
      });
      assert.ok(statuses.includes("reconnecting"), `statuses: ${statuses}`);
      const seqs = tokens.map((t) => t.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
      assert.equal(new Set(seqs).size, seqs.length); // each once
      assert.equal(tokens.map((t) => t.token).join(""), complete.response);
    } finally {
      chat.disconnect();
      cutter.close();
    }
  });
});
