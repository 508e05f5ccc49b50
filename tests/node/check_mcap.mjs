// Reads an MCAP file with the official MCAP readers (@mcap/core) and checks
// what copper's export promises (docs/mcap-export.md); prints one JSON
// result on stdout for tests/mcap_export_test.cpp.
//
//   node check_mcap.mjs FILE... [--dump TOPIC]     (one JSON line per file)
//
// - McapIndexedReader (summary, chunk indexes, message indexes) reads every
//   message, metadata record and attachment with CRCs validated; the data
//   section CRC is recomputed here with @foxglove/crc.
// - McapStreamReader reads the same file fed in small pieces.
// - Every JSON message is validated (ajv, JSON Schema 2020-12) against its
//   channel's schema. A protobuf message (the images) is decoded twice:
//   with the file's own descriptor set, as Foxglove reads it, and with
//   Foxglove's definition of that schema as @foxglove/schemas generates
//   it; the two descriptions must declare the same fields and the two
//   decodings agree. Well-known channels are checked for what Foxglove
//   needs to draw them (image sizes agree, scan ranges and angles, ...).
// - Times are exact: a message's "time_ns" (timing channel) or "timestamp"
//   (well-known channels) equals its log or publish time as a bigint,
//   compared on the raw JSON text, never through a double.
// - --dump TOPIC prints that topic's message bodies as raw text, so the C++
//   test parses them exactly (64-bit integers included).
import { open } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { McapIndexedReader, McapStreamReader } from "@mcap/core";
import { FileHandleReadable } from "@mcap/nodejs";
import { loadDecompressHandlers, protobufFromBinaryDescriptor } from "@mcap/support";
import foxgloveSchemas from "@foxglove/schemas/internal.js";
import protobufjs from "protobufjs";
import { crc32 } from "@foxglove/crc";
import Ajv2020 from "ajv/dist/2020.js";

const args = process.argv.slice(2);
const dumpAt = args.indexOf("--dump");
const dumpTopic = dumpAt >= 0 ? args[dumpAt + 1] : undefined;
const files = args.filter((_, i) => dumpAt < 0 || (i !== dumpAt && i !== dumpAt + 1));
let file;
let errors = [];
const fail = (message) => {
  if (errors.length < 50) errors.push(message);
};
const text = new TextDecoder("utf-8", { fatal: true });

// Bytes per pixel of the RawImage encodings copper maps onto.
const BYTES_PER_PIXEL = {
  mono8: 1, "8UC1": 1, mono16: 2, "16UC1": 2, "16SC1": 2, "32FC1": 4,
  rgb8: 3, bgr8: 3, "8UC3": 3, rgba8: 4, bgra8: 4, "8UC4": 4, yuv422: 2, uyvy: 2, yuyv: 2,
};

function base64Length(value) {
  return Buffer.from(value, "base64").length;
}

// The integer a key holds in raw JSON text, as a bigint (first match).
function rawInteger(raw, key) {
  const match = new RegExp(`"${key}":(-?\\d+)`).exec(raw);
  return match ? BigInt(match[1]) : undefined;
}

function rawTimestamp(raw) {
  const proto = /"timestamp":\{"seconds":"(-?\d+)","nanos":(\d+)\}/.exec(raw);
  if (proto) return BigInt(proto[1]) * 1000000000n + BigInt(proto[2]);
  const match = /"timestamp":\{"nsec":(\d+),"sec":(-?\d+)\}|"timestamp":\{"sec":(-?\d+),"nsec":(\d+)\}/.exec(raw);
  if (!match) return undefined;
  const [sec, nsec] = match[1] !== undefined ? [match[2], match[1]] : [match[3], match[4]];
  return BigInt(sec) * 1000000000n + BigInt(nsec);
}

const finite = (x) => typeof x === "number" && Number.isFinite(x);

// The fields Foxglove's schemas of these names define (docs.foxglove.dev),
// listed here rather than read from the file: the file's own schema is
// what is being checked.
const FOXGLOVE_FIELDS = {
  "foxglove.RawImage": ["timestamp", "frame_id", "width", "height", "encoding", "step", "data"],
  "foxglove.CompressedImage": ["timestamp", "frame_id", "data", "format"],
  "foxglove.LaserScan": ["timestamp", "frame_id", "pose", "start_angle", "end_angle", "ranges", "intensities"],
  "foxglove.PoseInFrame": ["timestamp", "frame_id", "pose"],
  "foxglove.FrameTransform": ["timestamp", "parent_frame_id", "child_frame_id", "translation", "rotation"],
  "foxglove.Log": ["timestamp", "level", "message", "name", "file", "line"],
};

// Checks beyond the schema: what Foxglove needs to draw the message.
const WELL_KNOWN = {
  "foxglove.RawImage": (m) => {
    const bpp = BYTES_PER_PIXEL[m.encoding];
    if (bpp === undefined) return `unknown encoding ${m.encoding}`;
    if (!(m.width > 0 && m.height > 0)) return `empty image ${m.width}x${m.height}`;
    if (m.step < m.width * bpp) return `step ${m.step} < width ${m.width} * ${bpp}`;
    const length = base64Length(m.data);
    if (length !== m.step * m.height) return `data ${length} bytes, step * height = ${m.step * m.height}`;
    return undefined;
  },
  "foxglove.CompressedImage": (m) =>
    base64Length(m.data) > 0 && m.format ? undefined : "empty data or no format",
  "foxglove.LaserScan": (m) => {
    if (!Array.isArray(m.ranges) || m.ranges.length === 0) return "no ranges";
    if (!finite(m.start_angle) || !finite(m.end_angle)) return "angles not finite";
    if (m.end_angle < m.start_angle) return `end_angle ${m.end_angle} < start_angle ${m.start_angle}`;
    if (m.intensities.length !== 0 && m.intensities.length !== m.ranges.length)
      return `${m.intensities.length} intensities for ${m.ranges.length} ranges`;
    if (!m.ranges.every((r) => r === null || typeof r === "number")) return "a range is not a number";
    return undefined;
  },
  "foxglove.PoseInFrame": (m) => quaternionProblem(m.pose.orientation),
  "foxglove.FrameTransform": (m) => quaternionProblem(m.rotation),
  "foxglove.Log": (m) =>
    m.level >= 1 && m.level <= 5 && typeof m.message === "string" ? undefined : `level ${m.level}`,
};

function quaternionProblem(q) {
  const norm = Math.hypot(q.x, q.y, q.z, q.w);
  return Math.abs(norm - 1) < 1e-6 ? undefined : `orientation not a unit quaternion (norm ${norm})`;
}

// Foxglove's own protobuf definition of a schema ("foxglove.RawImage"),
// from the .proto text @foxglove/schemas generates for it and for the
// foxglove files it imports.
function foxgloveProtobufType(schemaName) {
  const root = new protobufjs.Root();
  root.addJSON(protobufjs.common.get("google/protobuf/timestamp.proto").nested);
  const parsed = new Set();
  const parse = (name) => {
    if (parsed.has(name)) return;
    parsed.add(name);
    const schema = foxgloveSchemas.foxgloveMessageSchemas[name];
    if (!schema) throw new Error(`@foxglove/schemas has no foxglove.${name}`);
    const { imports = [] } = protobufjs.parse(foxgloveSchemas.generateProto(schema, []), root, { keepCase: true });
    for (const file of imports) {
      const match = /^foxglove\/(\w+)\.proto$/.exec(file);
      if (match) parse(match[1]);
    }
  };
  parse(schemaName.replace(/^foxglove\./, ""));
  return root.lookupType(schemaName);
}

// How a protobuf channel's messages are read: its own description (what
// Foxglove uses) and Foxglove's, which must declare the same fields.
function protobufTypes(schema) {
  const own = protobufFromBinaryDescriptor(schema.data).lookupType(schema.name);
  const foxglove = foxgloveProtobufType(schema.name);
  const typeOf = (field) => field.resolve().resolvedType?.fullName ?? field.type;  // ".google.protobuf.Timestamp"
  const describe = (type) =>
    type.fieldsArray.map((f) => `${f.name}=${f.id}:${f.repeated ? "repeated " : ""}${typeOf(f)}`).sort().join(", ");
  if (describe(own) !== describe(foxglove))
    throw new Error(`fields ${describe(own)}, Foxglove's ${describe(foxglove)}`);
  return { own, foxglove };
}

const PROTOBUF_OBJECT = { longs: String, bytes: String, defaults: true };

// A protobuf message as an object shaped as its JSON form (bytes base64,
// 64-bit integers as strings), or undefined when the two readings differ.
function decodeProtobuf(types, data, channel, sequence) {
  const own = types.own.toObject(types.own.decode(data), PROTOBUF_OBJECT);
  const foxglove = types.foxglove.toObject(types.foxglove.decode(data), PROTOBUF_OBJECT);
  const canonical = (value) => JSON.stringify(value, Object.keys(value).sort());
  for (const key of new Set([...Object.keys(own), ...Object.keys(foxglove)])) {
    if (JSON.stringify(own[key]) !== JSON.stringify(foxglove[key])) {
      fail(`${channel.schema} message ${sequence}: "${key}" reads ${canonical(own).slice(0, 80)} with the file's ` +
        `descriptor, ${canonical(foxglove).slice(0, 80)} with Foxglove's`);
      return undefined;
    }
  }
  return own;
}

async function readIndexed(handlers) {
  const handle = await open(file, "r");
  try {
    const reader = await McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers: handlers,
    });
    const ajv = new Ajv2020({ strict: false, allErrors: false });
    const channels = {};
    const validators = new Map();
    for (const [id, channel] of reader.channelsById) {
      const schema = reader.schemasById.get(channel.schemaId);
      let validate;
      try {
        validate =
          schema.encoding === "protobuf"
            ? protobufTypes(schema)
            : ajv.compile(JSON.parse(text.decode(schema.data)));
      } catch (e) {
        fail(`${channel.topic}: schema ${schema.name} does not compile: ${e.message}`);
      }
      validators.set(id, validate);
      channels[channel.topic] = {
        id, topic: channel.topic, schema: schema.name, schema_encoding: schema.encoding, message_encoding: channel.messageEncoding,
        metadata: Object.fromEntries(channel.metadata), indexed: 0, stream: 0, validated: 0, well_known_checked: 0,
        statistics: Number(reader.statistics?.channelMessageCounts.get(id) ?? -1n),
      };
    }
    const byId = new Map([...reader.channelsById].map(([id, c]) => [id, channels[c.topic]]));
    const dump = [];
    for await (const message of reader.readMessages({ validateCrcs: true })) {
      const channel = byId.get(message.channelId);
      channel.indexed += 1;
      checkMessage(message, channel, validators.get(message.channelId), dump);
    }
    const metadata = {};
    for await (const record of reader.readMetadata()) metadata[record.name] = Object.fromEntries(record.metadata);
    const attachments = [];
    for await (const a of reader.readAttachments({ validateCrcs: true }))
      attachments.push({ name: a.name, media_type: a.mediaType, size: a.data.length, log_time: String(a.logTime) });
    return { reader, channels, byId, metadata, attachments, dump };
  } finally {
    await handle.close();
  }
}

function checkMessage(message, channel, validate, dump) {
  let raw;
  let value;
  if (channel.message_encoding === "protobuf") {
    if (!validate) return;
    try {
      value = decodeProtobuf(validate, message.data, channel, message.sequence);
    } catch (e) {
      fail(`${channel.schema} message ${message.sequence}: not ${channel.schema} in protobuf: ${e.message}`);
    }
    if (value === undefined) return;
    channel.validated += 1;
    raw = JSON.stringify(value);
  } else {
    try {
      raw = text.decode(message.data);
      value = JSON.parse(raw);
    } catch (e) {
      fail(`${channel.schema}: a message is not JSON: ${e.message}`);
      return;
    }
    if (validate) {
      if (validate(value)) channel.validated += 1;
      else fail(`${channel.schema} message ${message.sequence}: ${JSON.stringify(validate.errors).slice(0, 300)}`);
    }
  }
  const wellKnown = WELL_KNOWN[channel.schema];
  if (wellKnown) {
    const missing = FOXGLOVE_FIELDS[channel.schema].filter((field) => !(field in value));
    const problem = missing.length ? `missing ${missing.join(", ")}` : wellKnown(value);
    if (problem) fail(`${channel.schema} message ${message.sequence}: ${problem}`);
    else channel.well_known_checked += 1;
    const stamp = rawTimestamp(raw);
    const expected = channel.schema === "foxglove.Log" ? message.logTime : message.publishTime;
    if (stamp !== undefined && stamp >= 0n && stamp !== expected)
      fail(`${channel.schema} message ${message.sequence}: timestamp ${stamp} != ${expected}`);
  }
  if (channel.schema === "copper.Timing") {
    const time = rawInteger(raw, "time_ns");
    if (time === undefined || (time >= 0n && time !== message.logTime))
      fail(`timing message ${message.sequence}: time_ns ${time} != log_time ${message.logTime}`);
  }
  if (channel.topic === dumpTopic) dump.push(raw);
}

function readStream(handlers, pieceSize) {
  const reader = new McapStreamReader({ decompressHandlers: handlers, validateCrcs: true });
  const bytes = readFileSync(file);
  const counts = {};
  const records = {};
  const topics = new Map();
  for (let at = 0; at < bytes.length; at += pieceSize) {
    reader.append(bytes.subarray(at, Math.min(at + pieceSize, bytes.length)));
    for (let record; (record = reader.nextRecord()); ) {
      records[record.type] = (records[record.type] ?? 0) + 1;
      if (record.type === "Channel") topics.set(record.id, record.topic);
      if (record.type === "Message") {
        const topic = topics.get(record.channelId);
        counts[topic] = (counts[topic] ?? 0) + 1;
      }
    }
  }
  if (!reader.done()) fail("the stream reader did not reach the end of the file");
  return { counts, records };
}

async function check(handlers) {
  const result = { ok: false, file };
  let indexed;
  try {
    indexed = await readIndexed(handlers);
  } catch (e) {
    fail(`indexed reader: ${e.message}`);
  }
  let stream;
  try {
    stream = readStream(handlers, 4093);
  } catch (e) {
    fail(`stream reader: ${e.message}`);
  }
  if (indexed) {
    const { reader, channels, metadata, attachments, dump } = indexed;
    for (const [topic, channel] of Object.entries(channels)) {
      channel.stream = stream?.counts[topic] ?? 0;
      if (channel.stream !== channel.indexed) fail(`${topic}: ${channel.indexed} indexed, ${channel.stream} streamed`);
      if (channel.statistics !== channel.indexed) fail(`${topic}: statistics say ${channel.statistics}`);
    }
    const bytes = readFileSync(file);
    const dataCrc = crc32(bytes.subarray(0, Number(reader.dataEndOffset)));
    if (reader.dataSectionCrc !== undefined && reader.dataSectionCrc !== dataCrc)
      fail(`data section CRC ${reader.dataSectionCrc}, computed ${dataCrc}`);
    result.header = reader.header;
    result.statistics = reader.statistics && {
      message_count: Number(reader.statistics.messageCount),
      schema_count: reader.statistics.schemaCount,
      channel_count: reader.statistics.channelCount,
      attachment_count: reader.statistics.attachmentCount,
      metadata_count: reader.statistics.metadataCount,
      chunk_count: reader.statistics.chunkCount,
    };
    result.chunk_indexes = reader.chunkIndexes.length;
    result.compression = [...new Set(reader.chunkIndexes.map((c) => c.compression))];
    result.data_section_crc = reader.dataSectionCrc ?? 0;
    result.summary_groups = [...reader.summaryOffsetsByOpcode.keys()].sort((a, b) => a - b);
    result.channels = channels;
    result.metadata = metadata;
    result.attachments = attachments;
    if (dumpTopic !== undefined) result.dump = dump;
  }
  if (stream) result.stream_records = stream.records;
  result.errors = errors;
  result.ok = errors.length === 0 && indexed !== undefined && stream !== undefined;
  return result;
}

async function main() {
  const handlers = await loadDecompressHandlers();
  for (file of files) {
    errors = [];
    process.stdout.write(JSON.stringify(await check(handlers)) + "\n");
  }
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ ok: false, file, errors: [...errors, `crash: ${e.stack}`] }) + "\n");
});
