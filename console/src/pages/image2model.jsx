// Image2Model: a batch of images uploaded (file by file, with progress) to become 3D models, the user's batches,
// and one batch's page (#/image2model/batch?id=...) following its generation live, with the 3D viewer
// (&view=<file id>) and the downloads.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, events, Problem, query } from '../api.js';
import { useInterval, useResource } from '../hooks.js';
import { navigate } from '../router.js';
import { Badge, Empty, Loading, PageHeader, Pager, ProblemBanner, Section, Time } from '../ui.jsx';
import { FINISHED, FileActions, GenerationMeter, resultPath, Thumbnail } from './image2model-files.jsx';
import { NewBatch, useUploadRun } from './image2model-upload.jsx';

const PER_PAGE = 10;
const shortId = (id) => id.slice(0, 8);
const batchHref = (id, params = {}) => '#/image2model/batch' + query({ id, ...params });

const cancelBatch = (id) => api('POST', `/api/v1/batches/${encodeURIComponent(id)}/cancel`);

function BatchList({ page }) {
  const current = useUploadRun();
  // Reloaded when the upload panel's batch is made and when it ends, and while a batch shown still runs.
  const list = useResource(() => api('GET', '/api/v1/batches' + query({ page, per_page: PER_PAGE })),
    [page, current?.jobId, current?.phase === 'finished']);
  const [problem, setProblem] = useState(null);
  useInterval(() => {
    if (list.data?.items.some((batch) => !FINISHED.has(batch.status))) list.reload();
  }, 3000);
  const cancel = async (batch) => {
    setProblem(null);
    try {
      await cancelBatch(batch.job_id);
    } catch (error) {
      setProblem(error);
    }
    list.reload();
  };

  const items = list.data?.items ?? [];
  return (
    <Section title="Your batches">
      <ProblemBanner problem={problem ?? list.error} />
      {list.loading && !list.data ? (
        <Loading what="batches" />
      ) : items.length === 0 ? (
        <Empty>No batches yet: upload some images above.</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr><th>Batch</th><th>Status</th><th class="num">Files</th><th>Format</th><th>Created</th><th><span class="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {items.map((batch) => (
                <tr key={batch.job_id} data-batch={batch.job_id}>
                  <td><a class="mono" href={batchHref(batch.job_id)} aria-label={`Batch ${shortId(batch.job_id)}`}>{shortId(batch.job_id)}</a></td>
                  <td><Badge value={batch.status} /></td>
                  <td class="num">{batch.files}</td>
                  <td>{batch.format}{batch.priority && ', priority'}</td>
                  <td><Time iso={batch.created_at} /></td>
                  <td>
                    {!FINISHED.has(batch.status) && (
                      <button type="button" class="danger" aria-label={`Cancel batch ${shortId(batch.job_id)}`} onClick={() => cancel(batch)}>
                        Cancel
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data && list.data.total > PER_PAGE && (
        <Pager page={page} perPage={PER_PAGE} total={list.data.total} onPage={(p) => navigate('/image2model', { page: p })} />
      )}
    </Section>
  );
}

// The 3D viewer, its module (and three.js with it) loaded when it first opens.
let viewerModule = null;
function Viewer({ jobId, file }) {
  const [module, setModule] = useState(viewerModule);
  const [problem, setProblem] = useState(null);
  const heading = useRef(null);
  useEffect(() => {
    if (!module) {
      import('./image2model-viewer.jsx')
        .then((loaded) => setModule((viewerModule = loaded)))
        .catch(setProblem);
    }
  }, []);
  useEffect(() => {
    heading.current?.scrollIntoView({ block: 'start' });
    heading.current?.focus({ preventScroll: true });
  }, [file.file_id]);
  return (
    <section class="card" aria-labelledby="image2model-viewer-title">
      <div class="page-header">
        <h2 id="image2model-viewer-title" ref={heading} tabIndex={-1}>{file.filename} in 3D</h2>
        <a href={batchHref(jobId)}>Close the viewer</a>
      </div>
      <ProblemBanner problem={problem} />
      {module ? (
        <module.ModelViewer key={file.file_id} path={resultPath(file.file_id, 'model.glb')} name={file.filename} />
      ) : (
        !problem && <Loading what="the viewer" />
      )}
    </section>
  );
}

function Summary({ status }) {
  const fact = (label, value) => (
    <div><div class="label">{label}</div><div>{value}</div></div>
  );
  return (
    <div class="stats">
      {fact('Status', <Badge value={status.status} />)}
      {!['cancelled', 'failed'].includes(status.status) && fact('Progress', (
        <>
          {status.progress}%
          <progress max={100} value={status.progress} aria-label="Progress of the batch" />
        </>
      ))}
      {fact('Files', status.files.length)}
      {fact('Format and quality', `${status.format}, ${status.quality}${status.priority ? ', priority' : ''}`)}
      {fact('Created', <Time iso={status.created_at} />)}
      {fact('Finished', <Time iso={status.finished_at} />)}
      {status.queue_position != null && fact('Files ahead in the queue', status.queue_position)}
    </div>
  );
}

// One batch, followed through its event stream until it ends.
function BatchPage({ id, viewing }) {
  const [status, setStatus] = useState(null);
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    const controller = new AbortController();
    setStatus(null);
    setProblem(null);
    events(`/api/v1/status/${encodeURIComponent(id)}/events`, (event) => {
      if (event.data?.files) setStatus(event.data);
      else if (event.event === 'end') setProblem(new Problem(410, event.data));
    }, controller.signal).catch(setProblem);
    return () => controller.abort();
  }, [id]);

  const cancel = async () => {
    setProblem(null);
    try {
      setStatus(await cancelBatch(id));
    } catch (error) {
      setProblem(error);
    }
  };
  const shown = viewing && status?.files.find((f) => f.file_id === viewing && f.results);

  return (
    <>
      <PageHeader title={`Batch ${shortId(id)}`}>
        <a href="#/image2model">All batches</a>
        {status && !FINISHED.has(status.status) && (
          <button type="button" class="danger" onClick={cancel}>Cancel the batch</button>
        )}
      </PageHeader>
      <ProblemBanner problem={problem} />
      {!status ? (
        !problem && <Loading what="the batch" />
      ) : (
        <>
          <Summary status={status} />
          {shown && <Viewer jobId={id} file={shown} />}
          {viewing && !shown && FINISHED.has(status.status) && (
            <p class="notice">That file has no model to show.</p>
          )}
          <Section title="Files">
            <div class="table-wrap">
              <table>
                <thead>
                  <tr><th>File</th><th style={{ width: '30%' }}>Generation</th><th><span class="visually-hidden">Results</span></th></tr>
                </thead>
                <tbody>
                  {status.files.map((file) => (
                    <tr key={file.file_id} data-file={file.filename}>
                      <td>
                        <div class="row">
                          <Thumbnail file={file} />
                          <div>
                            <strong>{file.filename}</strong>
                            <div class="muted">{file.width} × {file.height}{file.results && `, ${file.results.triangles.toLocaleString()} triangles`}</div>
                          </div>
                        </div>
                      </td>
                      <td><Badge value={file.status} /><GenerationMeter file={file} /></td>
                      <td><FileActions jobId={id} file={file} onProblem={setProblem} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Section>
        </>
      )}
    </>
  );
}

export default function Image2Model({ route, user }) {
  if (route.path === '/image2model/batch' && route.query.id) return <BatchPage id={route.query.id} viewing={route.query.view} />;
  return (
    <>
      <PageHeader title="Image2Model" />
      <NewBatch user={user} />
      <BatchList page={Number(route.query.page ?? 1)} />
    </>
  );
}
