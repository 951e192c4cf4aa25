// The console's Server-Sent Events reader (src/sse.js) on bodies cut anywhere: run by `node --test` (CTest
// console.unit).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readEvents } from '../../src/sse.js';

// A response whose body arrives in these pieces.
function answer(pieces) {
  const bytes = pieces.map((piece) => new TextEncoder().encode(piece));
  return new Response(new ReadableStream({
    pull(controller) {
      if (bytes.length) controller.enqueue(bytes.shift());
      else controller.close();
    },
  }));
}

async function eventsOf(pieces) {
  const seen = [];
  await readEvents(answer(pieces), (event) => seen.push(event));
  return seen;
}

test('events with names, ids, JSON and text data', async () => {
  const seen = await eventsOf(['event: progress\nid: 7\ndata: {"percent": 40}\n\n', 'data: plain text\n\n']);
  assert.deepEqual(seen, [
    { event: 'progress', data: { percent: 40 }, id: '7' },
    { event: 'message', data: 'plain text', id: undefined },
  ]);
});

test('an event cut anywhere, CR LF split across two reads, reads the same', async () => {
  const whole = 'event: delta\r\ndata: {"text": "Hel"}\r\n\r\nevent: done\r\ndata: {"ok": true}\r\n\r\n';
  const expected = [{ event: 'delta', data: { text: 'Hel' }, id: undefined },
                    { event: 'done', data: { ok: true }, id: undefined }];
  for (let cut = 1; cut < whole.length; cut++)
    assert.deepEqual(await eventsOf([whole.slice(0, cut), whole.slice(cut)]), expected, `cut at ${cut}`);
});

test('lone CR line ends, multi-line data, comments and keep-alives', async () => {
  const seen = await eventsOf([': keep-alive\n\n', 'data: one\rdata: two\r\r', 'event: empty\n\n']);
  assert.deepEqual(seen, [{ event: 'message', data: 'one\ntwo', id: undefined }]);
});

test('a handler that throws stops the reading and cancels the body', async () => {
  let cancelled = false;
  const body = new ReadableStream({
    pull(controller) {
      controller.enqueue(new TextEncoder().encode('data: 1\n\n'));
    },
    cancel() {
      cancelled = true;
    },
  });
  await assert.rejects(readEvents(new Response(body), () => {
    throw new Error('handler failed');
  }), /handler failed/);
  assert.equal(cancelled, true);
});
