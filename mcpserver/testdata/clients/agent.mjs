// A small agent on the official TypeScript MCP SDK, as coding agents are
// built: it connects to `wasmplay mcp`, runs code, watches progress
// notifications and cancels an endless loop with an abort signal.
//
//   node agent.mjs stdio WASMPLAY [ARGS...]   start the server as a subprocess
//   node agent.mjs http URL [TOKEN]           talk to `wasmplay mcp --http`
//
// It prints one JSON object on stdout with what it measured, and exits 1
// (with the reason on stderr) when the server did not behave.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

function fail(msg) {
  process.stderr.write(`agent.mjs: ${msg}\n`);
  process.exit(1);
}

const [mode, target, ...rest] = process.argv.slice(2);
let transport;
if (mode === "stdio" && target) {
  transport = new StdioClientTransport({ command: target, args: rest, env: { ...process.env }, stderr: "inherit" });
} else if (mode === "http" && target) {
  const headers = rest[0] ? { Authorization: `Bearer ${rest[0]}` } : {};
  transport = new StreamableHTTPClientTransport(new URL(target), { requestInit: { headers } });
} else {
  fail("usage: agent.mjs stdio WASMPLAY [ARGS...] | agent.mjs http URL [TOKEN]");
}

const client = new Client({ name: "node-test-agent", version: "1.0.0" });
await client.connect(transport);
const report = { server: client.getServerVersion(), tools: [] };

const { tools } = await client.listTools();
report.tools = tools.map((t) => t.name);
if (!report.tools.includes("run_code")) fail(`no run_code tool in ${report.tools}`);

// One run: its answer is structured, and says what ran.
const session = `node-${mode}-${process.pid}`;
await client.callTool({ name: "create_session", arguments: { name: session } });
let started = performance.now();
const hello = await client.callTool({
  name: "run_code",
  arguments: { language: "python", code: 'print("hello from node")', session },
});
report.print_ms = performance.now() - started;
const first = hello.structuredContent;
if (hello.isError || !first) fail(`run_code answered an error: ${JSON.stringify(hello.content)}`);
if (first.report.outcome !== "ok" || !first.report.stdout.text.includes("hello from node")) {
  fail(`run_code: ${JSON.stringify(first.report)}`);
}
report.first_run = first.run;

// An endless loop: progress notifications arrive while it runs, and an
// abort cancels it; the server records it as canceled.
const controller = new AbortController();
let progressSeen = 0;
let abortedAt = 0;
const loop = client
  .callTool(
    { name: "run_code", arguments: { language: "python", code: "while True: pass", session } },
    undefined,
    {
      signal: controller.signal,
      timeout: 60_000,
      onprogress: (p) => {
        progressSeen++;
        if (p.progress > 0 && !abortedAt) {
          abortedAt = performance.now();
          controller.abort("the agent gave up");
        }
      },
    },
  )
  .then(
    () => fail("the endless loop answered instead of being canceled"),
    (err) => err,
  );
const err = await loop;
if (!abortedAt) fail(`the loop ended before any progress with fuel: ${err}`);
report.progress_notifications = progressSeen;

// The cancel reached the server: the loop's run is in the history as
// canceled, and the next run gets the number after it.
const deadline = Date.now() + 10_000;
let canceled;
while (Date.now() < deadline) {
  const got = await client.callTool({ name: "get_run", arguments: { session, run: first.run + 1 } });
  const run = got.structuredContent?.result;
  if (!got.isError && run) {
    canceled = run;
    break;
  }
  await new Promise((r) => setTimeout(r, 20));
}
report.cancel_ms = performance.now() - abortedAt;
if (!canceled) fail("the canceled run never appeared in the session's history");
if (canceled.outcome !== "canceled") fail(`the loop's run was recorded as ${canceled.outcome}, want canceled`);

// The server is still there after the cancel.
const after = await client.callTool({ name: "run_code", arguments: { language: "python", code: "print(6 * 7)", session } });
if (after.structuredContent?.run !== first.run + 2 || !after.structuredContent.report.stdout.text.includes("42")) {
  fail(`the run after the cancel: ${JSON.stringify(after.structuredContent)}`);
}
await client.callTool({ name: "delete_session", arguments: { session } });
await client.close();
process.stdout.write(JSON.stringify(report) + "\n");
