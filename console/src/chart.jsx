// A time chart (uPlot) that fills its container's width and follows the colour scheme. `data` is uPlot's:
// [x values (Unix seconds), ...one array per series]; `series` names and colours each y series, and may give
// `band: [lowerIndex, upperIndex]` to fill between two series (forecast intervals). `xRange` ([from, to],
// Unix seconds) fixes the time axis, so that a few points do not stretch it.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';

// The muted text colour as the scheme shown now resolves it (the chart's frame is styled with it).
function axisColour(frame) {
  return getComputedStyle(frame).color || '#666';
}

// Changes whenever the colour scheme does (the header's switch, or the system's setting).
function useScheme() {
  const [scheme, setScheme] = useState(0);
  useEffect(() => {
    const changed = () => setScheme((n) => n + 1);
    const system = matchMedia('(prefers-color-scheme: dark)');
    window.addEventListener('keel:scheme', changed);
    system.addEventListener('change', changed);
    return () => {
      window.removeEventListener('keel:scheme', changed);
      system.removeEventListener('change', changed);
    };
  }, []);
  return scheme;
}

export function Chart({ title, series, data, height = 240, yLabel, bands = [], xRange }) {
  const scheme = useScheme();
  const range = useRef(xRange);
  range.current = xRange;
  const box = useRef(null);
  const plot = useRef(null);

  useEffect(() => {
    const colour = axisColour(box.current);
    const axis = { stroke: colour, grid: { stroke: 'rgba(128,128,128,0.15)' }, ticks: { stroke: colour } };
    const options = {
      width: box.current.clientWidth || 600,
      height,
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.colour, fill: s.fill, width: s.width ?? 2,
                                           dash: s.dash, points: { show: s.points ?? false }, spanGaps: true }))],
      bands: bands.map(([upper, lower, fill]) => ({ series: [upper, lower], fill })),
      axes: [axis, { ...axis, label: yLabel, size: yLabel ? 80 : 60 }],
      scales: { x: { time: true, range: (self, min, max) => range.current ?? [min, max] } },
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    };
    plot.current = new uPlot(options, data, box.current);
    const resize = new ResizeObserver(() => {
      const width = box.current?.clientWidth;
      if (width) plot.current.setSize({ width, height });
    });
    resize.observe(box.current);
    return () => {
      resize.disconnect();
      plot.current.destroy();
      plot.current = null;
    };
  }, [series.length, height, bands.length, scheme]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <figure class="chart">
      {title && <figcaption>{title}</figcaption>}
      <div ref={box} role="img" aria-label={title ?? 'chart'} />
    </figure>
  );
}
