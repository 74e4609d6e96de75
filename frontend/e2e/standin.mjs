// The stand-in model server's scripted answers, streamed in the OpenAI Chat Completions
// format (words, then tool calls in pieces, then usage), for the browser test's grounded
// answer and agent run.

/** Streams a scripted reply in the Chat Completions format: words, then tool calls. */
export async function streamReply(res, reply) {
  const chunk = (delta, finish = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(chunk({ role: "assistant", content: "" }));
  for (const word of reply.text.split(/(?<= )/)) {
    res.write(chunk({ content: word }));
    await new Promise((r) => setTimeout(r, 10));
  }
  (reply.toolCalls ?? []).forEach((call, index) => {
    // The name first, the arguments in two pieces, as providers stream them.
    res.write(chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }));
    const half = Math.floor(call.arguments.length / 2);
    res.write(chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(0, half) } }] }));
    res.write(chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(half) } }] }));
  });
  res.write(chunk({}, reply.toolCalls?.length ? "tool_calls" : "stop"));
  res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 120, completion_tokens: 20 } })}\n\n`);
  res.end("data: [DONE]\n\n");
}
