// One Plotly chart per key, drawn once and then updated in place with Plotly.react.
// Loaded by ui/plotly_component.py as an st.components.v2 component (no shadow DOM: Plotly adds its
// style sheet to the page's head). Plotly.js itself comes from the app's static folder, once per page.

// Kept on the window: Streamlit may evaluate this module again (a new K after a page opens does).
const CHARTS = (window.kmeansLabCharts ??= new Map()); // chart key -> {el, host, drawn, latest, bound}

function loadPlotly(src) {
  if (!window.kmeansLabPlotly) {
    window.kmeansLabPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        window.kmeansLabPlotly = null; // the next chart tries again
        reject(new Error(`could not load ${src}`));
      };
      document.head.appendChild(script);
    });
  }
  return window.kmeansLabPlotly;
}

// The points of a Plotly event, in the shape ui/selection.py reads.
function points(event) {
  return ((event && event.points) || []).map((p) => ({
    curve_number: p.curveNumber,
    point_index: p.pointIndex,
    x: p.x,
    y: p.y,
    customdata: p.customdata === undefined ? null : p.customdata,
  }));
}

function listen(chart, Plotly) {
  const send = (pts) =>
    chart.setStateValue("selection", {
      points: pts,
      revision: chart.latest.revision,
      at: Date.now(), // the same cell clicked twice is still a new click
    });
  if (chart.latest.events === "click") {
    chart.el.on("plotly_click", (event) => send(points(event)));
  } else if (chart.latest.events === "select") {
    chart.el.on("plotly_selected", (event) => send(points(event)));
    chart.el.on("plotly_deselect", () => send([]));
  }
  let width = chart.el.clientWidth;
  new ResizeObserver(() => {
    const now = chart.el.clientWidth;
    if (now && now !== width && chart.drawn) {
      width = now;
      Plotly.Plots.resize(chart.el);
    }
  }).observe(chart.el);
}

// The last figure each chart key was sent, parsed once. The server sends a figure only when it
// differs from the last one it sent to that key (ui/plotly_component.py), so that is the one figure a
// key can need again; the same parsed arrays drawn again are unchanged data to Plotly.react.
const FIGURES = (window.kmeansLabFigures ??= new Map()); // chart key -> {revision, figure}
// The big arrays of each key's last figure, by digest: a figure refers to an array its key had
// before as {labArray: digest}, and gets it sent only when the key does not hold it yet.
const ARRAYS = (window.kmeansLabArrays ??= new Map()); // chart key -> Map(digest -> array)

// The figure's kept arrays in place, or null if one was neither sent nor held (ask for it again).
function withArrays(figure, data) {
  const held = ARRAYS.get(data.key) || new Map();
  const kept = new Map();
  for (const trace of figure.data || []) {
    for (const [name, value] of Object.entries(trace)) {
      if (value === null || typeof value !== "object" || typeof value.labArray !== "string") continue;
      const digest = value.labArray;
      let array = kept.get(digest) ?? held.get(digest);
      if (array === undefined && data.arrays && data.arrays[digest] !== undefined) {
        array = data.arrays[digest];
      }
      if (array === undefined) return null;
      kept.set(digest, array);
      trace[name] = array;
    }
  }
  ARRAYS.set(data.key, kept);
  return figure;
}

function figureOf(data) {
  const last = FIGURES.get(data.key);
  if (last && last.revision === data.revision) return last.figure;
  if (!data.figure) return null;
  const figure = withArrays(data.figure, data);
  if (figure) FIGURES.set(data.key, { revision: data.revision, figure });
  return figure;
}

// The figure with the overlay (say, the K sweep's K marker) added: its shapes and annotations. Only
// the layout changes, so Plotly.react redraws only those (about 3 ms a chart instead of 12).
function withOverlay(figure, overlay) {
  const layout = { ...figure.layout };
  for (const name of ["shapes", "annotations"]) {
    if (overlay && overlay[name]) layout[name] = [...(layout[name] || []), ...overlay[name]];
  }
  return { data: figure.data, layout };
}

// Whether this browser draws WebGL (some laptops block it), checked once. The Map's dots are WebGL
// ("scattergl", core/figures/maps.py); without it they are drawn as SVG ("scatter") instead of not at all.
function webglWorks() {
  if (window.kmeansLabWebgl === undefined) {
    let gl = null;
    try {
      gl = document.createElement("canvas").getContext("webgl");
    } catch (error) {
      gl = null;
    }
    window.kmeansLabWebgl = Boolean(gl);
    if (gl) gl.getExtension("WEBGL_lose_context")?.loseContext(); // a test context: give it back
  }
  return window.kmeansLabWebgl;
}

function drawable(traces) {
  if (webglWorks() || !traces.some((t) => t.type === "scattergl")) return traces;
  return traces.map((t) => (t.type === "scattergl" ? { ...t, type: "scatter" } : t));
}

// The PNG download (the camera button) draws the chart on white, in fonts of the computer: the picture
// is drawn from the chart's SVG as an image, which cannot use the page's web font, so its text came out
// wider than Plotly had measured it, and the legend's last letters were cut off. Plotly measures the
// text again with these fonts, which the image has too.
const DOWNLOAD_FONTS = 'Arial, "Helvetica Neue", Helvetica, "Liberation Sans", sans-serif';
// On the window, as the others: a config rebuilt after this module is evaluated again would hold a new
// button, and Plotly.react would take that as a new config and draw the chart afresh.
// Pixel ratio and config as JSON -> the config given to Plotly.
const CONFIGS = (window.kmeansLabConfigs ??= new Map());

function downloadable(gd) {
  const layout = { ...gd.layout, paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff" };
  layout.font = { ...(layout.font || {}), family: DOWNLOAD_FONTS };
  // On the page the title lines up with the text around the chart; in the picture, off its edge.
  const title = typeof layout.title === "string" ? { text: layout.title } : layout.title || {};
  layout.title = { ...title, pad: { ...(title.pad || {}), l: 12 } };
  return { data: gd.data, layout: { ...layout, width: gd.clientWidth, height: gd.clientHeight } };
}

// The WebGL canvases (the Map's dots) drawn at the screen's own pixel ratio, not Plotly's default of 2
// whatever the screen: on an ordinary screen, 2 meant four times the pixels to draw and then shrink.
// In Chromium here (software WebGL), the first new K after the Map opens took 294 -> 223 ms (medians
// of 10), as the browser had that much less to finish after drawing the page. A sharp (2x) screen
// still gets 2, and a downloaded PNG has its own pixel ratio (Plotly's toImage).
function screenPixelRatio() {
  return Math.min(2, Math.max(1, window.devicePixelRatio || 1));
}

// The config given to Plotly: the screen's pixel ratio and, where the chart has one, the download button.
function plotlyConfig(config, Plotly) {
  const ratio = screenPixelRatio(); // in the key: a window moved to a sharper screen gets sharper dots
  const key = `${ratio} ${JSON.stringify(config)}`;
  if (!CONFIGS.has(key)) {
    config = { ...config, plotGlPixelRatio: ratio };
    const options = config.toImageButtonOptions;
    const button = {
      name: "downloadPng",
      title: "Download plot as a PNG",
      icon: Plotly.Icons.camera,
      click: (gd) => Plotly.downloadImage(downloadable(gd), { ...options }),
    };
    CONFIGS.set(key, options ? { ...config, modeBarButtonsToRemove: ["toImage"], modeBarButtonsToAdd: [button] } : config);
  }
  return CONFIGS.get(key);
}

function draw(chart, Plotly, figure) {
  const data = chart.latest;
  const drawing = `${data.revision} ${JSON.stringify(data.overlay)}`;
  if (chart.drawn === drawing) {
    delete chart.el.dataset.drawing;
    return;
  }
  const shown = withOverlay(figure, data.overlay);
  const layout = { ...shown.layout, autosize: true, width: undefined };
  Plotly.react(chart.el, drawable(shown.data), layout, plotlyConfig(data.config, Plotly)).then(() => {
    chart.drawn = drawing;
    chart.el.dataset.revision = data.revision;
    if (chart.latest === data) {
      // Drawn: tests and bench/bench_app.py wait for no chart to be drawing, and time this event.
      delete chart.el.dataset.drawing;
      chart.el.dispatchEvent(new CustomEvent("lab-chart-drawn", { bubbles: true }));
    }
  });
  if (!chart.bound) {
    chart.bound = true;
    listen(chart, Plotly);
  }
}

// The chart's message: UTF-8 JSON bytes, its figure in it as JSON (ui/plotly_component.py, component_message).
function messageOf(bytes) {
  return JSON.parse(new TextDecoder().decode(bytes));
}

export default function (component) {
  const { parentElement, setStateValue } = component;
  const data = messageOf(component.data);
  let chart = CHARTS.get(data.key);
  if (!chart || chart.host !== parentElement || !chart.el.isConnected) {
    const el = document.createElement("div");
    el.className = "lab-chart";
    el.style.width = "100%";
    el.style.minHeight = `${data.height}px`;
    parentElement.appendChild(el);
    chart = { el, host: parentElement, drawn: null, bound: false };
    CHARTS.set(data.key, chart);
  }
  chart.latest = data;
  chart.setStateValue = setStateValue;
  chart.el.dataset.drawing = "yes";
  const figure = figureOf(data);
  if (!figure) {
    // Sent before, but this chart never got it (a newer run's message came first): ask for it again.
    setStateValue("missing", { revision: data.revision, at: Date.now() });
    return () => {};
  }
  loadPlotly(data.src).then(
    (Plotly) => {
      if (chart.latest === data) draw(chart, Plotly, figure);
    },
    () => {
      delete chart.el.dataset.drawing;
      chart.el.textContent = "This chart could not be drawn: the page did not get its chart library. Reload the page.";
    },
  );
  return () => {
    // Called when Streamlit removes the element, or before it calls this function again.
    setTimeout(() => {
      if (!chart.el.isConnected && CHARTS.get(data.key) === chart) {
        if (window.Plotly) window.Plotly.purge(chart.el);
        CHARTS.delete(data.key);
      }
    }, 0);
  };
}
