import { describe, expect, it } from "vitest";

import { Api, type ApiError } from "./api";
import { checkToken } from "./tokenCheck";

async function rejectionsFor(answer: () => Promise<Response>): Promise<ApiError[]> {
  const rejected: ApiError[] = [];
  await checkToken(new Api("tok", answer), (e) => rejected.push(e));
  return rejected;
}

describe("checkToken", () => {
  it("reports a refused token with the server's message", async () => {
    const body = { error: { code: "unauthorized", message: "access token has expired" } };
    const rejected = await rejectionsFor(async () => new Response(JSON.stringify(body), { status: 401 }));
    expect(rejected.map((e) => [e.status, e.code, e.message])).toEqual([[401, "unauthorized", "access token has expired"]]);
  });

  it("stays quiet while the server is down or failing for other reasons", async () => {
    expect(await rejectionsFor(() => Promise.reject(new TypeError("Failed to fetch")))).toEqual([]);
    expect(await rejectionsFor(async () => new Response("busy", { status: 503 }))).toEqual([]);
    expect(await rejectionsFor(async () => Response.json({ projects: [] }))).toEqual([]);
  });
});
