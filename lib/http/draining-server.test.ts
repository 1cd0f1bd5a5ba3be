import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createDrainingServer, type DrainingServer } from "./draining-server";

/** A request that the test lets finish: `release` writes the response its own way. */
type Held = { req: http.IncomingMessage; res: http.ServerResponse };

describe("createDrainingServer", () => {
  let current: DrainingServer | undefined;
  const agents: http.Agent[] = [];
  afterEach(async () => {
    for (const agent of agents.splice(0)) agent.destroy();
    if (current && !current.stopping) await current.drain({ deadlineMs: 0 });
    current = undefined;
  });

  async function start(onRequest: (held: Held) => void) {
    current = createDrainingServer((req, res) => onRequest({ req, res }));
    await new Promise<void>((resolve) => current!.server.listen(0, "127.0.0.1", resolve));
    const port = (current.server.address() as AddressInfo).port;
    const agent = () => {
      const made = new http.Agent({ keepAlive: true });
      agents.push(made);
      return made;
    };
    const get = (agentToUse: http.Agent, path = "/") =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; socketClosed: Promise<void> }>((resolve, reject) => {
        const request = http.get({ host: "127.0.0.1", port, path, agent: agentToUse }, (response) => {
          const socketClosed = new Promise<void>((done) => (response.socket.destroyed ? done() : response.socket.once("close", () => done())));
          let body = "";
          response.setEncoding("utf8").on("data", (d: string) => (body += d));
          response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body, socketClosed }));
        });
        request.on("error", reject);
      });
    return { server: current, agent, get };
  }

  it("answers in-flight requests with Connection: close (either door's way of writing headers) and drains without waiting for keep-alive", async () => {
    const held: Held[] = [];
    let arrived: () => void = () => undefined;
    const { server, agent, get } = await start((h) => {
      if (h.req.url === "/hold") {
        held.push(h);
        arrived();
      } else h.res.end("quick");
    });
    // An idle keep-alive connection, as a browser or a relying party's HTTP client keeps one.
    const idleAgent = agent();
    const first = await get(idleAgent);
    expect(first.headers.connection).toBe("keep-alive");
    const idleSocketClosed = first.socketClosed;

    // Two requests in flight on keep-alive connections when the stop begins.
    const bothArrived = new Promise<void>((resolve) => (arrived = () => held.length === 2 && resolve()));
    const protocolStyle = get(agent(), "/hold");
    const nextStyle = get(agent(), "/hold");
    await bothArrived;

    const drained = server.drain({ deadlineMs: 30_000 });
    expect(server.stopping).toBe(true);
    await idleSocketClosed; // closed at once, not after keepAliveTimeout

    // The protocol door writes a header list with writeHead; Next.js sets headers and lets Node write them.
    held[0]!.res.writeHead(200, ["content-type", "text/plain"]).end("protocol");
    held[1]!.res.setHeader("content-type", "text/plain");
    held[1]!.res.end("page");
    const answers = await Promise.all([protocolStyle, nextStyle]);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.headers.connection).toBe("close");
      expect(answer.headers["content-type"]).toBe("text/plain");
      await answer.socketClosed;
    }
    expect(answers.map((a) => a.body)).toEqual(["protocol", "page"]);
    // "drained", not "forced": every connection ended by itself, long before the 30 s deadline.
    expect(await drained).toBe("drained");
  });

  it("closes a keep-alive connection whose response had started before the stop once that response ends", async () => {
    let held: Held | undefined;
    let arrived: () => void = () => undefined;
    const { server, agent } = await start((h) => {
      h.res.writeHead(200, { "content-type": "text/plain" });
      h.res.write("part one, ");
      held = h;
      arrived();
    });
    const port = (server.server.address() as AddressInfo).port;
    const headersSeen = new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get({ host: "127.0.0.1", port, path: "/", agent: agent() }, resolve).on("error", reject),
    );
    const response = await headersSeen;
    await new Promise<void>((resolve) => (held ? resolve() : (arrived = resolve)));
    expect(response.headers.connection).toBe("keep-alive");
    const socketClosed = new Promise<void>((resolve) => response.socket.once("close", () => resolve()));
    const body = new Promise<string>((resolve) => {
      let text = "";
      response.setEncoding("utf8").on("data", (d: string) => (text += d)).on("end", () => resolve(text));
    });

    const drained = server.drain({ deadlineMs: 30_000, sweepMs: 20 });
    held!.res.end("part two");
    expect(await body).toBe("part one, part two");
    await socketClosed;
    expect(await drained).toBe("drained");
  });

  it("cuts the connections still busy at the deadline and says so", async () => {
    const { server, agent } = await start(() => undefined); // never answers
    const port = (server.server.address() as AddressInfo).port;
    const hanging = new Promise<string>((resolve) => http.get({ host: "127.0.0.1", port, path: "/", agent: agent() }).on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message)));
    // The request has reached the server once the server counts a connection.
    while ((await new Promise<number>((resolve) => server.server.getConnections((_e, n) => resolve(n)))) === 0) await new Promise((r) => setTimeout(r, 5));
    expect(await server.drain({ deadlineMs: 100 })).toBe("forced");
    expect(await hanging).toBe("ECONNRESET");
  });

  it("takes no new connections once stopping", async () => {
    const { server, agent, get } = await start(({ res }) => res.end("ok"));
    expect(await server.drain({ deadlineMs: 1000 })).toBe("drained");
    await expect(get(agent())).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
