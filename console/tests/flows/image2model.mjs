// Image2Model: an upload on a slowed link, its bar part-way, cancelled (and dropped by Keel); three images
// (drawn in the page) chosen through the labelled file input, each uploaded and then generated with its own
// progress; the batch in the list and on its page; the model drawn in the 3D viewer; the GLB and the zipped OBJ
// downloaded; phone width.
import { readFile } from 'node:fs/promises';

// Photo-like pictures the local generator makes models of: a shaded subject on a backdrop (JPEG), and
// cut-outs with a transparent background (PNG), as tests/e2e/images.py makes them.
async function drawImages(page) {
  const images = await page.evaluate(async () => {
    const draw = async (type, paint) => {
      const canvas = new OffscreenCanvas(320, 240);
      paint(canvas.getContext('2d'));
      const blob = await canvas.convertToBlob({ type, quality: 0.9 });
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let text = '';
      for (const byte of bytes) text += String.fromCharCode(byte);
      return btoa(text);
    };
    const star = (colour) => (g) => {
      g.beginPath();
      for (let i = 0; i < 10; i++) {
        const r = i % 2 ? 45 : 105;
        const a = (Math.PI / 5) * i - Math.PI / 2;
        g.lineTo(160 + r * Math.cos(a), 120 + r * Math.sin(a));
      }
      g.closePath();
      g.fillStyle = colour;
      g.fill();
    };
    const photo = (g) => {
      const sweep = g.createLinearGradient(0, 0, 0, 240);
      sweep.addColorStop(0, '#e8e4dc');
      sweep.addColorStop(1, '#b9b2a6');
      g.fillStyle = sweep;
      g.fillRect(0, 0, 320, 240);
      const lit = g.createRadialGradient(130, 95, 10, 160, 120, 90);
      lit.addColorStop(0, '#7fb0e0');
      lit.addColorStop(1, '#1f4f7f');
      g.fillStyle = lit;
      g.beginPath();
      g.ellipse(160, 120, 85, 70, 0, 0, 2 * Math.PI);
      g.fill();
    };
    return {
      star: await draw('image/png', star('#d2691e')),
      leaf: await draw('image/png', star('#2e8b57')),
      photo: await draw('image/jpeg', photo),
    };
  });
  return [
    { name: 'star.png', mimeType: 'image/png', buffer: Buffer.from(images.star, 'base64') },
    { name: 'leaf.png', mimeType: 'image/png', buffer: Buffer.from(images.leaf, 'base64') },
    { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(images.photo, 'base64') },
  ];
}

// The share of the canvas's pixels that differ from its corner's (the backdrop): read from a screenshot of it,
// decoded in the page (WebGL's drawing buffer is cleared once shown, so the canvas itself cannot be read back).
async function drawnShare(page, canvas) {
  const png = (await canvas.screenshot()).toString('base64');
  return page.evaluate(async (data) => {
    // Decoded from bytes, not a data: URL, which the page's policy (img-src 'self') refuses.
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const image = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const scratch = new OffscreenCanvas(image.width, image.height);
    const g = scratch.getContext('2d');
    g.drawImage(image, 0, 0);
    const { data: rgba } = g.getImageData(0, 0, image.width, image.height);
    let drawn = 0;
    for (let i = 0; i < rgba.length; i += 4) {
      const distance = Math.abs(rgba[i] - rgba[0]) + Math.abs(rgba[i + 1] - rgba[1]) + Math.abs(rgba[i + 2] - rgba[2]);
      if (distance > 24) drawn++;
    }
    return drawn / (rgba.length / 4);
  }, png);
}

// A PNG of noise (which does not compress): big enough for its upload to take a while on a slowed link.
async function noise(page) {
  const data = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(300, 300);
    const g = canvas.getContext('2d');
    const pixels = g.createImageData(300, 300);
    crypto.getRandomValues(pixels.data.subarray(0, 65536));
    for (let at = 65536; at < pixels.data.length; at += 65536) crypto.getRandomValues(pixels.data.subarray(at, at + 65536));
    for (let i = 3; i < pixels.data.length; i += 4) pixels.data[i] = 255;
    g.putImageData(pixels, 0, 0);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    let text = '';
    for (const byte of bytes) text += String.fromCharCode(byte);
    return btoa(text);
  });
  return { name: 'noise.png', mimeType: 'image/png', buffer: Buffer.from(data, 'base64') };
}

async function downloaded(page, button) {
  const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return { name: file.suggestedFilename(), bytes: await readFile(await file.path()) };
}

export async function run(t) {
  const page = t.page;
  await t.signIn();
  await t.open('/image2model');
  const images = await drawImages(page);

  const input = page.getByLabel('Images', { exact: true });

  // On a slow link an upload's bar moves; cancelled part-way, the upload stops and no batch is made.
  const network = await t.context.newCDPSession(page);
  const uploadSpeed = (bytesPerSecond) => network.send('Network.emulateNetworkConditions',
    { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
  const batchesBefore = (await t.api('GET', '/api/v1/batches')).total;
  const big = await noise(page);
  await input.setInputFiles([big]);
  await uploadSpeed(64 * 1024);
  await page.getByRole('button', { name: 'Upload the image' }).click();
  const bar = page.getByRole('progressbar', { name: 'Upload of noise.png' });
  const seen = await t.eventually(async () => {
    const text = await bar.getAttribute('aria-valuetext');
    return /^[1-9]\d?%$/.test(text ?? '') && text;
  }, 'the upload part-way');
  const dropped = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/api/v1/uploads/'));
  await page.getByRole('button', { name: 'Cancel the batch' }).click();
  await page.getByRole('status').getByText('Stopped.').waitFor();
  if ((await dropped).status() !== 204) throw new Error(`the stopped upload was not dropped: ${(await dropped).status()}`);
  if ((await bar.getAttribute('aria-valuetext')) !== 'stopped') throw new Error('the cancelled upload is not stopped');
  console.log(`  image2model: ${big.buffer.length} bytes, cancelled at ${seen}`);
  await uploadSpeed(-1);
  if ((await t.api('GET', '/api/v1/batches')).total !== batchesBefore) throw new Error('a cancelled upload made a batch');

  // The file input (in the drop zone) leaves out what is not an image; a chosen image can be removed again.
  const extra = { name: 'extra.png', mimeType: 'image/png', buffer: images[0].buffer };
  const notes = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image\n') };
  // broken.png says it is a PNG, but Keel finds otherwise once it is up: refused in the batch's answer.
  const broken = { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not really a PNG\n'.repeat(40)) };
  await input.setInputFiles([...images, broken, extra, notes]);
  await page.getByText('Left out (not a JPEG, PNG or WebP image): notes.txt').waitFor();
  await page.getByRole('button', { name: 'Remove extra.png' }).click();
  const chosen = page.getByRole('list', { name: 'Chosen images' }).getByRole('listitem');
  await t.eventually(async () => (await chosen.count()) === 4, 'four chosen images');
  await page.getByLabel('Quality').selectOption('draft');
  await t.check('chosen');

  await page.getByRole('button', { name: 'Upload 4 images' }).click();
  await page.locator('tr[data-file="broken.png"]').getByText('Refused: ').waitFor();
  for (const { name } of images) {
    const upload = page.getByRole('progressbar', { name: `Upload of ${name}` });
    await t.eventually(async () => (await upload.getAttribute('aria-valuetext')) === 'done', `${name} uploaded`);
    if ((await upload.evaluate((bar) => bar.value)) !== 100) throw new Error(`${name}: the upload bar is not full`);
    const generation = page.getByRole('progressbar', { name: `Generation of ${name}` });
    await t.eventually(async () => (await generation.getAttribute('aria-valuetext')) === 'done', `${name} generated`, 90000);
  }
  await page.getByRole('status').getByText('Finished.').waitFor();
  const href = await page.getByRole('link', { name: 'Open the batch' }).getAttribute('href');
  const jobId = new URLSearchParams(href.split('?')[1]).get('id');
  const status = await t.api('GET', `/api/v1/status/${jobId}`);
  if (status.status !== 'completed' || status.files.length !== 3) throw new Error(`the batch is ${JSON.stringify(status)}`);

  // The list shows the batch, finished.
  const listed = page.locator(`tr[data-batch="${jobId}"]`);
  await listed.getByText('completed').waitFor();
  await t.check('uploaded');

  await listed.getByRole('link').click();
  await page.getByRole('heading', { name: `Batch ${jobId.slice(0, 8)}` }).waitFor();
  for (const { name } of images) await page.locator(`tr[data-file="${name}"]`).getByText('done').waitFor();
  await page.locator('canvas[data-drawn]').nth(2).waitFor();
  await t.check('batch');

  // The viewer: three.js loads only now, parses the GLB and draws the model.
  await page.getByRole('link', { name: 'View in 3D: star.png' }).click();
  const canvas = page.getByRole('img', { name: '3D model from star.png' });
  await page.locator('canvas[data-state="shown"]').waitFor();
  if (!(Number(await canvas.getAttribute('data-triangles')) > 0)) throw new Error('the model has no triangles');
  const share = await t.eventually(async () => {
    const drawn = await drawnShare(page, canvas);
    return drawn > 0.02 && drawn;
  }, 'the model drawn on the canvas');
  console.log(`  image2model: the model covers ${(share * 100).toFixed(1)}% of the viewer`);
  await canvas.focus();
  await page.keyboard.press('Shift+ArrowLeft');
  await page.getByRole('button', { name: 'Reset the view' }).click();
  await t.check('viewer');

  // Downloads: fetched with the token, saved under the server's file name.
  const glb = await downloaded(page, page.getByRole('button', { name: 'Download GLB of star.png' }));
  if (glb.name !== 'star.glb' || glb.bytes.subarray(0, 4).toString() !== 'glTF') throw new Error(`the GLB download is ${glb.name}`);
  const obj = await downloaded(page, page.getByRole('button', { name: 'Download OBJ (zip) of photo.jpg' }));
  if (obj.name !== 'photo.obj.zip' || obj.bytes.subarray(0, 2).toString() !== 'PK') throw new Error(`the OBJ download is ${obj.name}`);

  await page.setViewportSize({ width: 390, height: 800 });
  await page.locator('canvas[data-state="shown"]').waitFor();
  await t.check('phone');
  await page.getByRole('link', { name: 'Close the viewer' }).click();
  await canvas.waitFor({ state: 'detached' });
  await page.getByRole('link', { name: 'All batches' }).click();
  await page.locator(`tr[data-batch="${jobId}"]`).waitFor();
  await t.check('phone-list');
}
