// Image2Model's per-file pieces, shared by the upload panel and the batch page: progress meters, the model's
// thumbnail and its downloads (the result routes want the Authorization header, so each is fetched into a Blob).
import { useEffect, useRef, useState } from 'preact/hooks';
import { download, request } from '../api.js';
import { Badge } from '../ui.jsx';

const THUMBNAIL = 64;

export const FINISHED = new Set(['completed', 'partial', 'failed', 'cancelled']);

// The downloads every completed file offers, whatever format its batch asked for.
const DOWNLOADS = [
  ['model.glb', 'GLB'],
  ['model.stl', 'STL'],
  ['model.obj', 'OBJ (zip)'],
];

export const resultPath = (fileId, name) => `/api/v1/results/${encodeURIComponent(fileId)}/${name}`;

// A labelled progress bar; `name` tells this file's bar from the others' for screen readers.
export function Meter({ label, name, value, text }) {
  return (
    <div>
      <small class="muted">{label}: {text}</small>
      <progress max={100} value={value} aria-label={`${label} of ${name}`} aria-valuetext={text} />
    </div>
  );
}

// How far generation has come: the stage, and the percentage while it runs.
export function generationText(file) {
  if (file.status === 'completed') return 'done';
  if (file.status === 'failed') return `failed${file.error ? ': ' + file.error : ''}`;
  if (file.status === 'cancelled' || file.status === 'queued') return file.status;
  return `${file.stage} ${file.progress}%`;
}

// Keel reports a cancelled or failed file as 100% along (finished); its bar would say "done", so it has none.
export function GenerationMeter({ file }) {
  if (file.status === 'cancelled' || file.status === 'failed')
    return <div><small class={file.status === 'failed' ? 'error' : 'muted'}>Generation: {generationText(file)}</small></div>;
  return <Meter label="Generation" name={file.filename} value={file.progress} text={generationText(file)} />;
}

// The model's rendered picture, fetched with the token (an <img> cannot send it) and drawn on a canvas: an
// object URL would do as well in the browser, but the console's tests count a blob: URL as a request away
// from Keel.
export function Thumbnail({ file }) {
  const path = file.results?.thumbnail;
  const canvas = useRef(null);
  const [drawn, setDrawn] = useState(false);
  useEffect(() => {
    if (!path) return undefined;
    const controller = new AbortController();
    request('GET', path, { signal: controller.signal })
      .then((response) => (response.ok ? response.blob() : null))
      .then((blob) => blob && createImageBitmap(blob))
      .then((picture) => {
        if (!picture || controller.signal.aborted) return;
        const g = canvas.current.getContext('2d');
        const scale = Math.min(THUMBNAIL / picture.width, THUMBNAIL / picture.height);
        const [width, height] = [picture.width * scale, picture.height * scale];
        g.drawImage(picture, (THUMBNAIL - width) / 2, (THUMBNAIL - height) / 2, width, height);
        picture.close();
        setDrawn(true);
      })
      .catch(() => {});  // no picture is no loss: the row still says what the file is
    return () => controller.abort();
  }, [path]);
  if (!path) return null;
  return (
    <canvas ref={canvas} width={THUMBNAIL} height={THUMBNAIL} role="img" data-drawn={drawn || undefined}
            aria-label={`Rendering of the model from ${file.filename}`} />
  );
}

// What a completed file offers: the 3D view (a link, so it can be shared) and its downloads.
export function FileActions({ jobId, file, onProblem }) {
  const [busy, setBusy] = useState(null);
  if (file.status !== 'completed') return null;
  if (!file.results) return <span class="muted">{file.expired ? 'Results expired' : 'No results'}</span>;
  const stem = file.filename.replace(/\.[^.]*$/, '') || 'model';
  const save = async (name) => {
    setBusy(name);
    onProblem?.(null);
    try {
      await download(resultPath(file.file_id, name), `${stem}.${name.split('.')[1]}`);
    } catch (error) {
      onProblem?.(error);
    } finally {
      setBusy(null);
    }
  };
  return (
    <div class="row">
      <a class="button" href={`#/image2model/batch?id=${encodeURIComponent(jobId)}&view=${encodeURIComponent(file.file_id)}`}
         aria-label={`View in 3D: ${file.filename}`}>
        View in 3D
      </a>
      {DOWNLOADS.map(([name, label]) => (
        <button key={name} type="button" disabled={busy === name} aria-label={`Download ${label} of ${file.filename}`}
                onClick={() => save(name)}>
          {label}
        </button>
      ))}
    </div>
  );
}
