// A real Foxglove WebSocket client (@foxglove/ws-protocol's FoxgloveClient
// over the `ws` package) against copper-record --serve. Prints one JSON
// object: the server info, the advertised channels, the statuses received,
// the messages collected (topic, time as a decimal string, payload as
// parsed JSON) and, if the server closed the connection, the close code
// and reason (1006 when it closed without the WebSocket close handshake).
//
//   node check_live.mjs URL [--topics /a,/b] [--count N] [--timeout MS]
//                           [--mode read|disconnect|stall|malformed]
//
// --topics: the topics to subscribe to ("all": every channel; default: the
// first two). --count: stop once each subscribed topic has N messages.
// Modes: read (default) collects; disconnect drops the connection after
// the first messages; stall subscribes to everything and then stops
// reading its socket (a stuck viewer) until --timeout; malformed first
// sends frames the server must reject (not JSON, an unknown op, binary
// data, a bad subscription), then collects as "read".
import wsProtocol from "@foxglove/ws-protocol";
import { WebSocket } from "ws";

const { FoxgloveClient } = wsProtocol;

function parseArgs(argv) {
  const options = { url: argv[0], topics: null, count: 20, timeout: 10000, mode: "read" };
  for (let i = 1; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (argv[i] === "--topics") options.topics = value;
    else if (argv[i] === "--count") options.count = Number(value);
    else if (argv[i] === "--timeout") options.timeout = Number(value);
    else if (argv[i] === "--mode") options.mode = value;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const result = { serverInfo: null, channels: [], statuses: [], messages: [], subscribed: [], closed: false, error: null };
const ws = new WebSocket(options.url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
const client = new FoxgloveClient({ ws });
const topicOf = new Map();  // subscription id -> topic
const counts = new Map();   // topic -> messages

let finished = false;
// Exits once stdout has taken the whole result (a pipe is asynchronous).
function finish() {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(0));
}

function chosenChannels(channels) {
  if (options.mode === "stall" || options.topics === "all") return channels;
  if (options.topics === null) return channels.slice(0, 2);
  const wanted = options.topics.split(",");
  return channels.filter((c) => wanted.includes(c.topic));
}

function sendMalformed() {
  ws.send("this is not JSON");
  ws.send(JSON.stringify({ op: "fly" }));
  ws.send(Buffer.from([0x01, 0x02, 0x03]));
  ws.send(JSON.stringify({ op: "subscribe", subscriptions: [{ id: 7, channelId: 99999 }] }));
}

client.on("serverInfo", (info) => {
  result.serverInfo = { name: info.name, capabilities: info.capabilities };
});
client.on("status", (status) => result.statuses.push({ level: status.level, message: status.message }));
client.on("error", (error) => {
  result.error = String(error && error.message ? error.message : error);
});
client.on("close", (event) => {
  result.closed = true;
  result.closeCode = event && typeof event.code === "number" ? event.code : null;
  result.closeReason = event && event.reason !== undefined ? String(event.reason) : null;
  finish();
});
client.on("advertise", (channels) => {
  for (const c of channels)
    result.channels.push({
      id: c.id,
      topic: c.topic,
      encoding: c.encoding,
      schemaName: c.schemaName,
      schemaEncoding: c.schemaEncoding,
      schema: c.schema,
    });
  if (options.mode === "malformed") sendMalformed();
  for (const c of chosenChannels(channels)) {
    topicOf.set(client.subscribe(c.id), c.topic);
    counts.set(c.topic, 0);
    result.subscribed.push(c.topic);
  }
  if (options.mode === "stall") ws._socket.pause();
});
client.on("message", ({ subscriptionId, timestamp, data }) => {
  const topic = topicOf.get(subscriptionId);
  const text = new TextDecoder().decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  result.messages.push({ topic, time: timestamp.toString(), payload: JSON.parse(text) });
  counts.set(topic, counts.get(topic) + 1);
  if (options.mode === "disconnect" && result.messages.length >= 3) {
    ws.terminate();
    finish();
  }
  if ([...counts.values()].every((n) => n >= options.count)) finish();
});

setTimeout(finish, options.timeout);
