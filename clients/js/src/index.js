// support-orchestrator-client: a dependency-free client for the support chat WebSocket
// protocol (docs/protocol.md), and the protocol's constants generated from its schema.
export * from "./protocol.js";
export {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  CONNECT_TIMEOUT_MS,
  ChatSocket,
  KEEPALIVE_MS,
  MAX_RESENDS,
  newMessageId,
  sameOriginUrl,
} from "./chat-socket.js";
