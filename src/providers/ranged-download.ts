/**
 * The pieces every provider's chunked file download shares: a body streamed into the sink as it
 * arrives, and the check that a 206 answer starts where the download stands (a server that
 * serves another range would silently corrupt the file).
 */
import { ProviderError } from './provider-error.js';
import type { DownloadSink } from './sync-data.js';

/** Writes a body into the sink as it arrives; the bytes written. */
export async function pipeBody(response: Response, sink: DownloadSink): Promise<number> {
  if (response.body === null) return 0;
  let count = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    count += chunk.byteLength;
    await sink.write(chunk);
  }
  return count;
}

/**
 * Appends a 206 answer to the sink after checking its Content-Range starts at `written`; `what`
 * names the file in the error. Returns the bytes written.
 */
export async function appendPartialContent(response: Response, written: number, sink: DownloadSink, what: string): Promise<number> {
  const served = /^bytes (\d+)-(\d+)\//.exec(response.headers.get('content-range') ?? '');
  if (served === null || Number(served[1]) !== written) {
    await response.body?.cancel();
    throw new ProviderError({ errorClass: 'retry_later', reason: `expected Content-Range from byte ${written} for ${what}; found ${response.headers.get('content-range') ?? 'none'}`, status: 206 });
  }
  return pipeBody(response, sink);
}
