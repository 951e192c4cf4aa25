// Image2Model's 3D viewer: a GLB result fetched with the token, parsed by three.js's GLTFLoader and turned with
// OrbitControls. The page imports this module only when a viewer opens, so three.js downloads only then.
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  Box3, DirectionalLight, HemisphereLight, PerspectiveCamera, Scene, Texture, Vector3, WebGLRenderer,
} from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { problemOf, request } from '../api.js';
import { ProblemBanner } from '../ui.jsx';

// GLTFLoader would decode an embedded image (Keel's GLBs embed their texture) by fetch()ing a blob: URL made of
// its bytes, which the console's CSP refuses (connect-src 'self'); the bytes are decoded here instead, with the
// options GLTFLoader's ImageBitmapLoader uses. Images the GLB names by URI are left to GLTFLoader.
function decodeEmbeddedImages(parser) {
  const loadImageSource = parser.loadImageSource.bind(parser);
  parser.loadImageSource = (index, loader) => {
    const source = parser.json.images[index];
    if (source.bufferView === undefined) return loadImageSource(index, loader);
    if (parser.sourceCache[index]) return parser.sourceCache[index].then((texture) => texture.clone());
    const texture = parser.getDependency('bufferView', source.bufferView)
      .then((bytes) => createImageBitmap(new Blob([bytes], { type: source.mimeType }),
        { premultiplyAlpha: 'none', colorSpaceConversion: 'none' }))
      .then((picture) => {
        const made = new Texture(picture);
        made.needsUpdate = true;
        made.userData.mimeType = source.mimeType;
        return made;
      });
    parser.sourceCache[index] = texture;
    return texture;
  };
  return { name: 'keel_decode_embedded_images' };
}

function parse(glb) {
  const loader = new GLTFLoader().register(decodeEmbeddedImages);
  return new Promise((resolve, reject) => loader.parse(glb, '', resolve, reject));
}

function triangleCount(root) {
  let triangles = 0;
  root.traverse((node) => {
    const geometry = node.isMesh && node.geometry;
    if (geometry) triangles += (geometry.index?.count ?? geometry.attributes.position.count) / 3;
  });
  return triangles;
}

function disposeTree(root) {
  root.traverse((node) => {
    if (!node.isMesh) return;
    node.geometry.dispose();
    for (const material of [node.material].flat()) {
      for (const value of Object.values(material)) if (value?.isTexture) value.dispose();
      material.dispose();
    }
  });
}

// Shows `model` (a three.js scene) on `canvas` through `gl` until dispose(); reset() puts the camera back.
function show(canvas, gl, model) {
  const renderer = new WebGLRenderer({ canvas, context: gl, antialias: true, alpha: true });
  renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
  const scene = new Scene();
  scene.add(new HemisphereLight(0xffffff, 0x445566, 2));
  const sun = new DirectionalLight(0xffffff, 2);
  sun.position.set(1, 2, 3);
  scene.add(sun);
  scene.add(model);

  // The camera looks at the model's centre from far enough to see all of it.
  const box = new Box3().setFromObject(model);
  const centre = box.getCenter(new Vector3());
  const radius = box.getSize(new Vector3()).length() / 2 || 1;
  const camera = new PerspectiveCamera(40, 4 / 3, radius / 100, radius * 100);
  const controls = new OrbitControls(camera, canvas);
  controls.enableDamping = true;
  controls.keyRotateSpeed = 10;  // the default turns a degree per key press
  controls.listenToKeyEvents(canvas);
  const reset = () => {
    camera.position.copy(centre).add(new Vector3(0, radius * 0.4, radius * 2.6));
    controls.target.copy(centre);
    controls.update();
  };
  reset();

  const resize = () => {
    const { clientWidth: width, clientHeight: height } = canvas;
    if (!width || !height) return;
    renderer.setSize(width, height, false);
    camera.aspect = width / height;
    camera.updateProjectionMatrix();
  };
  const observer = new ResizeObserver(resize);
  observer.observe(canvas);
  resize();
  renderer.setAnimationLoop(() => {
    controls.update();
    renderer.render(scene, camera);
  });

  return {
    reset,
    spin(on) {
      controls.autoRotate = on;
    },
    dispose() {
      renderer.setAnimationLoop(null);
      observer.disconnect();
      controls.stopListenToKeyEvents();
      controls.dispose();
      disposeTree(model);
      renderer.dispose();
      renderer.forceContextLoss();  // dispose() keeps the WebGL context; browsers allow only a few at once
    },
  };
}

// The GLB at `path` (a result route) on a canvas the user can turn, zoom and pan.
export function ModelViewer({ path, name }) {
  const canvas = useRef(null);
  const view = useRef(null);
  const [state, setState] = useState({ phase: 'loading' });
  const [spinning, setSpinning] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    const gl = canvas.current.getContext('webgl2', { antialias: true, alpha: true });
    if (!gl) {
      setState({ phase: 'unsupported' });
      return undefined;
    }
    setState({ phase: 'loading' });
    (async () => {
      const response = await request('GET', path, { signal: controller.signal });
      if (!response.ok) throw await problemOf(response);
      const model = (await parse(await response.arrayBuffer())).scene;
      if (controller.signal.aborted) return disposeTree(model);
      view.current = show(canvas.current, gl, model);
      setState({ phase: 'shown', triangles: triangleCount(model) });
    })().catch((error) => {
      if (error.name !== 'AbortError') setState({ phase: 'failed', problem: error });
    });
    return () => {
      controller.abort();
      view.current?.dispose();
      view.current = null;
    };
  }, [path]);

  const toggleSpin = (event) => {
    setSpinning(event.currentTarget.checked);
    view.current?.spin(event.currentTarget.checked);
  };

  return (
    <div>
      {state.phase === 'loading' && <p class="loading" role="status">Loading the model…</p>}
      {state.phase === 'unsupported' && (
        <p class="notice" role="status">This browser cannot show 3D here (WebGL 2 is off or missing); the downloads still work.</p>
      )}
      <ProblemBanner problem={state.problem} />
      <canvas ref={canvas} class="viewer" tabIndex={0} data-state={state.phase} data-triangles={state.triangles}
              role="img" aria-label={`3D model from ${name}`} aria-describedby="image2model-viewer-help" />
      <p id="image2model-viewer-help" class="hint">
        Drag to turn, scroll or pinch to zoom, right-drag to pan. With the model focused, arrow keys pan and
        Shift with an arrow key turns it.
        {state.phase === 'shown' && ` ${state.triangles.toLocaleString()} triangles.`}
      </p>
      <div class="row">
        <button type="button" disabled={state.phase !== 'shown'} onClick={() => view.current?.reset()}>Reset the view</button>
        <label>
          <input type="checkbox" checked={spinning} disabled={state.phase !== 'shown'} onChange={toggleSpin} /> Spin
        </label>
      </div>
    </div>
  );
}
