// The README's example, type-checked by `npm run typecheck` (tsc --strict): a chat in ten
// lines, typed from the protocol's schema.
import { ChatSocket, type CompleteEvent, type ServerEventOf } from "support-orchestrator-client";

declare const token: string;
const output = document.getElementById("answer") as HTMLElement;
const chat = new ChatSocket({ url: "wss://support.example.com/ws/chat", storage: sessionStorage });
chat.on("token", (event: ServerEventOf<"token">) => output.append(event.token));
chat.on("complete", (event: CompleteEvent) => console.log(event.metadata.context.sources));
chat.on("error", (event) => console.error(event.code, event.retry_after ?? ""));
chat.on("status", ({ status }) => console.log(status));
chat.on("auth_success", () => chat.send("How often should the tyres be rotated?"));
chat.connect(token);

// @ts-expect-error: an event type the protocol does not have
chat.on("tokens", () => {});
// @ts-expect-error: a token event has no `response`
chat.on("token", (event) => event.response);
// @ts-expect-error: context.sources names documents; the passages are context.passages
chat.on("complete", (event) => event.metadata.context.sources[0].heading);
chat.on("complete", (event) => event.metadata.context.passages.map((p) => p.page ?? p.heading));
