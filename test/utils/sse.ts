/** Reads an SSE response body as the data of its events, as sent (`[DONE]` included), until the body ends. */
export async function* readSseData(response: Response): AsyncGenerator<string> {
  if (!response.body) throw new Error(`no body (status ${response.status})`);
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const bytes of response.body) {
    buffered += decoder.decode(bytes as Uint8Array, {stream: true});
    let boundary;
    while ((boundary = buffered.indexOf("\n\n")) >= 0) {
      const event = buffered.slice(0, boundary);
      buffered = buffered.slice(boundary + 2);
      const data = event.split("\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice(6)).join("\n");
      if (data.length > 0) yield data;
    }
  }
}

/** Reads an SSE response body as parsed JSON events, stopping at `data: [DONE]`. */
export async function* readSse(response: Response): AsyncGenerator<unknown> {
  for await (const data of readSseData(response)) {
    if (data === "[DONE]") return;
    yield JSON.parse(data);
  }
}
