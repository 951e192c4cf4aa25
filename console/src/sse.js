// Reading a text/event-stream answer (Server-Sent Events) as events: {event, data, id}, data parsed as JSON
// when it is JSON. No browser globals, so node's test runner checks it (console/tests/unit/).

// Calls onEvent for each event of `response`'s body until it ends. The stream is cancelled if reading stops
// early (onEvent threw), so the connection is not held open.
export async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let ended = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        return;
      }
      // Line ends normalized on the whole buffer: a CR LF may arrive split across two reads.
      buffer = (buffer + value).replace(/\r\n?/g, (match, at, all) => (match === '\r' && at === all.length - 1 ? match : '\n'));
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event) onEvent(event);
      }
    }
  } finally {
    if (!ended) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

// One event's block of lines; null when it carries no data (a comment, a keep-alive).
function parseEvent(block) {
  const event = { event: 'message', data: '', id: undefined };
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event.event = text;
    else if (field === 'data') data.push(text);
    else if (field === 'id') event.id = text;
  }
  if (data.length === 0) return null;
  event.data = data.join('\n');
  try {
    event.data = JSON.parse(event.data);
  } catch {
    // plain text data
  }
  return event;
}
