// Image2Model's uploads: each image goes up as its own tus upload (XMLHttpRequest, whose upload events give
// per-file progress; resumed from the server's offset after a dropped connection), the batch is made of the
// finished uploads, and its event stream then gives each file's generation progress. The run lives in this
// module, not in a component, so it carries on while the user looks at other views.
import { useEffect, useState } from 'preact/hooks';
import { api, authorization, events, Problem, problemOf, request, session } from '../api.js';
import { Field, ProblemBanner, Section, bytes } from '../ui.jsx';
import { FINISHED, FileActions, GenerationMeter, Meter } from './image2model-files.jsx';

const TUS = { 'Tus-Resumable': '1.0.0' };
const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp'];
const PARALLEL_UPLOADS = 3;
const RETRIES = 3;

// The XMLHttpRequest's connection broke (not an answer from Keel): worth resuming.
class ConnectionLost extends Error {}

const base64 = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// tus creation: the new upload's URL.
async function createUpload(file, signal) {
  const response = await request('POST', '/api/v1/uploads', {
    headers: { ...TUS, 'Upload-Length': String(file.size), 'Upload-Metadata': `filename ${base64(file.name)}` },
    signal,
  });
  if (!response.ok) throw await problemOf(response);
  return response.headers.get('Location');
}

// How many of the upload's bytes Keel holds.
async function serverOffset(url, signal) {
  const response = await request('HEAD', url, { headers: TUS, signal });
  if (!response.ok) throw new Problem(response.status, { detail: `the upload cannot be resumed (HTTP ${response.status})` });
  return Number(response.headers.get('Upload-Offset'));
}

// One PATCH of the file's bytes from `offset`: the offset Keel acknowledged. onSent(bytes) as they go.
async function append(url, file, offset, onSent, signal) {
  const token = await authorization();
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PATCH', url);
    xhr.setRequestHeader('Tus-Resumable', '1.0.0');
    xhr.setRequestHeader('Upload-Offset', String(offset));
    xhr.setRequestHeader('Content-Type', 'application/offset+octet-stream');
    if (token) xhr.setRequestHeader('Authorization', token);
    xhr.upload.onprogress = (event) => onSent(offset + event.loaded);
    xhr.onload = () => {
      const next = Number(xhr.getResponseHeader('Upload-Offset') ?? NaN);
      if (xhr.status === 204 && Number.isFinite(next)) return resolve(next);
      if (xhr.status === 204) return reject(new Problem(502, { detail: 'Keel did not say how much it has' }));
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: the status says it
      }
      reject(new Problem(xhr.status, body));
    };
    xhr.onerror = () => reject(new ConnectionLost('the connection to Keel broke'));
    xhr.onabort = () => reject(new DOMException('stopped', 'AbortError'));
    const stop = () => xhr.abort();
    signal.addEventListener('abort', stop);
    xhr.onloadend = () => signal.removeEventListener('abort', stop);
    xhr.send(file.slice(offset));
  });
}

// Sends the whole file, resuming where Keel's count stands when the connection breaks.
async function sendFile(url, file, onSent, signal) {
  let offset = 0;
  let lost = false;
  for (let attempt = 0; offset < file.size; ) {
    try {
      // After a break, from where Keel's count stands (asking may fail too while the network is down).
      if (lost) offset = await serverOffset(url, signal);
      lost = false;
      offset = await append(url, file, offset, onSent, signal);
    } catch (error) {
      if (!(error instanceof ConnectionLost || error instanceof TypeError) || ++attempt > RETRIES) throw error;
      lost = true;
      await sleep(500 * 2 ** attempt);
    }
  }
}

// The run: null, or {key, phase, files, jobId, status, problem, controller}; phase is uploading, creating,
// generating, finished or stopped; each file is {name, size, sent, upload, error, url, fileId}, its upload
// waiting, sending, done, failed or stopped.
let run = null;
let nextKey = 0;
const listeners = new Set();

function publish(next) {
  run = next;
  for (const listener of listeners) listener();
}

// Changes the run `key` names, if it is still the current one.
function patch(key, changes) {
  if (run?.key === key) publish({ ...run, ...changes });
}

function patchFile(key, index, changes) {
  if (run?.key === key) publish({ ...run, files: run.files.map((f, i) => (i === index ? { ...f, ...changes } : f)) });
}

session.subscribe(() => {
  if (!session.signedIn && run) {
    run.controller.abort();
    publish(null);
  }
});

export function useUploadRun() {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = () => setVersion((v) => v + 1);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return run;
}

async function uploadEach(key, files, signal) {
  let next = 0;
  const worker = async () => {
    while (next < files.length && !signal.aborted) {
      const index = next++;
      const file = files[index];
      patchFile(key, index, { upload: 'sending' });
      try {
        const url = await createUpload(file, signal);
        patchFile(key, index, { url });
        await sendFile(url, file, (sent) => patchFile(key, index, { sent }), signal);
        patchFile(key, index, { upload: 'done', sent: file.size });
      } catch (error) {
        const stopped = error.name === 'AbortError';
        patchFile(key, index, { upload: stopped ? 'stopped' : 'failed', error: stopped ? null : error.message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, files.length) }, worker));
}

// Uploads `files` and makes a batch of them with `choices` ({format, quality, priority}), then follows it.
async function startRun(files, choices) {
  run?.controller.abort();
  const key = ++nextKey;
  const controller = new AbortController();
  const { signal } = controller;
  publish({
    key, phase: 'uploading', jobId: null, status: null, problem: null, controller,
    files: files.map((f) => ({ name: f.name, size: f.size, sent: 0, upload: 'waiting', error: null, url: null, fileId: null })),
  });
  await uploadEach(key, files, signal);
  if (run?.key !== key) return;
  if (signal.aborted) return stopUploads(key);
  const sent = run.files.flatMap((f, i) => (f.upload === 'done' ? [i] : []));
  if (sent.length === 0) return patch(key, { phase: 'stopped', problem: new Problem(0, { detail: 'No image could be uploaded.' }) });

  patch(key, { phase: 'creating' });
  let answer;
  try {
    const uploads = sent.map((i) => run.files[i].url.split('/').pop());
    answer = await api('POST', '/api/v1/upload/batch', { body: { uploads, ...choices } });
  } catch (error) {
    return patch(key, { phase: 'stopped', problem: error });
  }
  if (run?.key !== key) return;
  // The answer lists the uploads in the order they were named; a refused one has no file id but an error.
  const answered = run.files.map((file, i) => {
    const entry = answer.files[sent.indexOf(i)];
    return entry ? { ...file, fileId: entry.file_id, error: entry.error ?? null } : file;
  });
  patch(key, { phase: 'generating', jobId: answer.job_id, files: answered });
  try {
    await events(answer.status_url + '/events', (event) => {
      if (event.data?.files) patch(key, { status: event.data });
      if (event.event === 'end') patch(key, { phase: 'finished' });
    }, signal);
    if (run?.key === key && run.phase === 'generating' && !signal.aborted)
      patch(key, { problem: new Problem(0, { detail: 'The live status stopped early: open the batch to follow it.' }) });
  } catch (error) {
    patch(key, { problem: error });
  }
}

// The user stopped the uploads: Keel drops them, finished ones too (they count against the daily quota until
// they expire).
async function stopUploads(key) {
  const { files } = run;
  patch(key, { phase: 'stopped', files: files.map((f) => (f.upload === 'waiting' ? { ...f, upload: 'stopped' } : f)) });
  for (const file of files) {
    if (file.url) await request('DELETE', file.url, { headers: TUS }).catch(() => {});
  }
}

async function cancelRun() {
  if (!run) return;
  const { key, phase, jobId } = run;
  if (phase === 'uploading') {
    run.controller.abort();
    return;
  }
  try {
    await api('POST', `/api/v1/batches/${encodeURIComponent(jobId)}/cancel`);
  } catch (error) {
    patch(key, { problem: error });
  }
}

const sentPercent = (file) => (file.upload === 'done' ? 100 : Math.floor((100 * file.sent) / Math.max(1, file.size)));

function uploadText(file) {
  if (file.upload === 'sending') return `${sentPercent(file)}%`;
  if (file.upload === 'failed') return `failed${file.error ? ': ' + file.error : ''}`;
  return file.upload;
}

// "Batch processing, 40%, 3 files ahead in the queue."
function batchText(status) {
  const parts = [`Batch ${status.status}`];
  if (!FINISHED.has(status.status)) parts.push(`${status.progress}%`);
  if (status.queue_position != null) parts.push(`${status.queue_position} files ahead in the queue`);
  return parts.join(', ') + '.';
}

const PHASES = {
  uploading: 'Uploading…',
  creating: 'Making the batch…',
  generating: 'Generating the models…',
  finished: 'Finished.',
  stopped: 'Stopped.',
};

// The current run, file by file: upload, then generation, then the results.
function RunPanel({ run }) {
  const [problem, setProblem] = useState(null);
  const generation = new Map((run.status?.files ?? []).map((f) => [f.file_id, f]));
  const cancellable = run.phase === 'uploading' || (run.phase === 'generating' && run.status && !FINISHED.has(run.status.status));
  const batchLink = run.jobId && `#/image2model/batch?id=${encodeURIComponent(run.jobId)}`;
  return (
    <Section title="This batch">
      <div class="row">
        <div>
          <span role="status">{PHASES[run.phase]}</span>
          {run.status && ' ' + batchText(run.status)}
        </div>
        {batchLink && <a href={batchLink}>Open the batch</a>}
        {cancellable && <button type="button" class="danger" onClick={cancelRun}>Cancel the batch</button>}
      </div>
      <ProblemBanner problem={problem ?? run.problem} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr><th>File</th><th style={{ width: '40%' }}>Progress</th><th><span class="visually-hidden">Results</span></th></tr>
          </thead>
          <tbody>
            {run.files.map((file, index) => {
              const generated = generation.get(file.fileId);
              return (
                <tr key={index} data-file={file.name}>
                  <td>
                    <strong>{file.name}</strong>
                    <div class="muted">{bytes(file.size)}</div>
                  </td>
                  <td>
                    <Meter label="Upload" name={file.name} value={sentPercent(file)} text={uploadText(file)} />
                    {generated ? (
                      <GenerationMeter file={generated} />
                    ) : (
                      file.error && file.upload === 'done' && <small class="error">Refused: {file.error}</small>
                    )}
                  </td>
                  <td>{generated && <FileActions jobId={run.jobId} file={generated} onProblem={setProblem} />}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </Section>
  );
}

// A file list as an <input>'s `files` (so the input shows what the dropzone took).
function fileList(files) {
  const transfer = new DataTransfer();
  for (const file of files) transfer.items.add(file);
  return transfer.files;
}

// The new batch: the images (dropped, or chosen with the labelled file input the drop zone holds), the
// batch's choices, and the run that follows the upload.
export function NewBatch({ user }) {
  const current = useUploadRun();
  const [picked, setPicked] = useState([]);
  const [refused, setRefused] = useState([]);
  const [over, setOver] = useState(false);
  const uploading = current?.phase === 'uploading' || current?.phase === 'creating';

  const take = (files) => {
    const all = [...files];
    setPicked(all.filter((f) => ACCEPTED.includes(f.type)));
    setRefused(all.filter((f) => !ACCEPTED.includes(f.type)).map((f) => f.name));
  };
  const pick = (files) => {
    take(files);
    const input = document.getElementById('image2model-files');
    if (input) input.files = fileList([...files].filter((f) => ACCEPTED.includes(f.type)));
  };
  const remove = (file) => pick(picked.filter((f) => f !== file));
  const onDrop = (event) => {
    event.preventDefault();
    setOver(false);
    if (!uploading) pick(event.dataTransfer.files);
  };
  const onSubmit = (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(event.currentTarget));
    const choices = { format: values.format, quality: values.quality, ...(values.priority ? { priority: true } : {}) };
    startRun(picked, choices);
    pick([]);
  };

  return (
    <>
      <Section title="New batch">
        <form onSubmit={onSubmit} aria-label="New batch">
          <div
            class={'dropzone' + (over ? ' over' : '')}
            style={{ marginBottom: '0.75rem' }}
            onDragOver={(e) => { e.preventDefault(); setOver(true); }}
            onDragLeave={(e) => { if (!e.currentTarget.contains(e.relatedTarget)) setOver(false); }}
            onDrop={onDrop}
          >
            <label for="image2model-files"><strong>Images</strong></label>
            <p id="image2model-files-hint" class="hint">
              Drop JPEG, PNG or WebP images here, or choose them. Each becomes a 3D model.
            </p>
            <input id="image2model-files" type="file" name="files" multiple accept={ACCEPTED.join(',')} disabled={uploading}
                   style={{ maxWidth: '100%' }}
                   aria-describedby="image2model-files-hint" onChange={(e) => take(e.currentTarget.files)} />
          </div>
          {refused.length > 0 && (
            <p class="error" role="alert">Left out (not a JPEG, PNG or WebP image): {refused.join(', ')}</p>
          )}
          {picked.length > 0 && (
            <ul aria-label="Chosen images">
              {picked.map((file) => (
                <li key={file.name + file.size}>
                  {file.name} <span class="muted">({bytes(file.size)})</span>{' '}
                  <button type="button" class="link" aria-label={`Remove ${file.name}`} onClick={() => remove(file)}>Remove</button>
                </li>
              ))}
            </ul>
          )}
          <div class="row">
            <Field label="Format" name="format" as="select" defaultValue="glb"
                   hint="The batch's main model; every format can be downloaded.">
              <option value="glb">GLB (binary glTF)</option>
              <option value="stl">STL</option>
              <option value="obj">OBJ (zip)</option>
            </Field>
            <Field label="Quality" name="quality" as="select" defaultValue="standard" hint="More triangles take longer.">
              <option value="draft">draft</option>
              <option value="standard">standard</option>
              <option value="high">high</option>
            </Field>
            {user?.role === 'admin' && (
              <div class="field">
                <label><input type="checkbox" name="priority" /> Priority (ahead of other batches)</label>
              </div>
            )}
          </div>
          <button class="primary" disabled={uploading || picked.length === 0}>
            {picked.length === 1 ? 'Upload the image' : `Upload ${picked.length || 'the'} images`}
          </button>
        </form>
      </Section>
      {current && <RunPanel run={current} />}
    </>
  );
}
