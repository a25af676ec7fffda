// The live canvas (js_on_load of a gr.HTML; `element`, `props` and `server` are given), in one
// of two modes. "draw": black lines (the edge map) and colour hints (transparent where there are
// none); the visible canvas shows the hints over the lines. "palette": a label map painted with a
// model's class colours, with a fill tool, on the background class. Pointer events draw, so mouse,
// touch and stylus all work. While the pen moves, the drawing is sent to server.translate_drawing
// as a small PNG, and each result is painted as it arrives. Two requests are in flight at most: the
// server translates one while the next waits there, so it never waits for the browser. A drawing
// made meanwhile is sent when one comes back, so stale drawings are dropped, never queued. As the
// pen lifts, the finished drawing goes at once: on the server it replaces the one waiting there and
// stops the translation of an older one, so its shoe waits for no one of this page.
(() => {
  const PALETTE = element.querySelector(".live").dataset.mode === "palette";
  const MAX_IN_FLIGHT = 2; // one translating, one waiting on the server (which runs an address's one at a time)
  const SEND_SIZE = 256; // the model's input size: the drawing is sent at this size
  const PAGE_ID = Math.random().toString(36).slice(2); // the server's fair share tells pages apart by it
  const BUSY_RETRY_MS = 1000; // after a "busy" answer, the drawing is sent again this much later
  const FILL_TOLERANCE = 60; // the fill spreads over pixels this close (summed RGB difference) to the one tapped
  const canvas = element.querySelector(".live-canvas canvas");
  const ctx = canvas.getContext("2d");
  const result = element.querySelector(".live-result img");
  const seen = element.querySelector(".live-seen img");
  const status = element.querySelector("[data-status]");
  const modelSelect = element.querySelector("[data-model]");
  const seedInput = element.querySelector("[data-seed]");
  const widthInput = element.querySelector("[data-width]");
  const picker = element.querySelector("[data-picker]"); // the colour pen's; none in palette mode
  const upload = element.querySelector("[data-upload]");
  const layer = (size) => {
    const c = document.createElement("canvas");
    c.width = c.height = size;
    return c.getContext("2d");
  };
  const lines = layer(canvas.width); // white, with black lines
  const hints = layer(canvas.width); // transparent, with colour strokes
  const smallLines = layer(SEND_SIZE);
  const smallHints = layer(SEND_SIZE);
  const uploaded = layer(SEND_SIZE);
  const HINT_WIDTH = 3; // a colour stroke is this many times the pen's width: a dab, not a line

  // The drawing is a list of actions, replayed on undo: strokes, loaded examples, clears.
  let actions = [];
  let undone = [];
  let tool = "pen";
  let colour = picker ? picker.value : null; // palette mode: the chosen class's colour
  let background = "#fff"; // palette mode: the model's background class
  const paintings = {}; // palette mode: each model keeps its own painting (its palette is its own)
  let stroke = null;
  const inFlight = new Set(); // requests counted as in flight, each with the version it carries
  let shown = 0; // the version of the result on show
  let pending = false; // the drawing changed since the last request went, which could not go yet
  let version = 0; // bumps with every change; a reply older than the one on show is dropped
  let note = ""; // a word on what the page did (a model's own painting), kept until the next stroke

  const IDLE = PALETTE ? "Paint with the classes above: the picture appears here as you paint." : "Draw the outline of a shoe: it appears here as you draw.";

  function clearLayers() {
    lines.fillStyle = background;
    lines.fillRect(0, 0, canvas.width, canvas.height);
    hints.clearRect(0, 0, canvas.width, canvas.height);
  }

  function trace(c, s, style, width) {
    c.strokeStyle = style;
    c.lineWidth = width;
    c.lineCap = c.lineJoin = "round";
    c.beginPath();
    c.moveTo(s.points[0][0], s.points[0][1]);
    for (const [x, y] of s.points.slice(1)) c.lineTo(x, y);
    if (s.points.length === 1) c.lineTo(s.points[0][0] + 0.01, s.points[0][1]);
    c.stroke();
  }


  // The fill: the area of pixels near the tapped one's colour, grown by one pixel so that the
  // brush's soft edges around it are painted too.
  function floodFill(c, s) {
    const size = c.canvas.width;
    const image = c.getImageData(0, 0, size, size);
    const d = image.data;
    const start = Math.floor(s.points[0][1]) * size + Math.floor(s.points[0][0]);
    const target = [d[start * 4], d[start * 4 + 1], d[start * 4 + 2]];
    const near = (k) => Math.abs(d[k * 4] - target[0]) + Math.abs(d[k * 4 + 1] - target[1]) + Math.abs(d[k * 4 + 2] - target[2]) <= FILL_TOLERANCE;
    const area = new Uint8Array(size * size);
    const stack = [start];
    while (stack.length) {
      const k = stack.pop();
      if (area[k] || !near(k)) continue;
      area[k] = 1;
      const x = k % size;
      if (x > 0) stack.push(k - 1);
      if (x < size - 1) stack.push(k + 1);
      if (k >= size) stack.push(k - size);
      if (k < size * size - size) stack.push(k + size);
    }
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(s.colour.slice(i, i + 2), 16));
    for (let k = 0; k < size * size; k++) {
      const x = k % size;
      const edge = (x > 0 && area[k - 1] === 1) || (x < size - 1 && area[k + 1] === 1) || area[k - size] === 1 || area[k + size] === 1;
      if (area[k] === 1 || edge) d.set([r, g, b, 255], k * 4);
    }
    c.putImageData(image, 0, 0);
  }

  // A stroke goes to its layer: the pen draws lines (or a class), the colour pen hints, the eraser
  // wipes both (or paints the background class), the fill fills an area.
  function drawStroke(s) {
    if (s.tool === "fill") {
      floodFill(lines, s);
    } else if (s.tool === "colour") {
      trace(hints, s, s.colour, s.width);
    } else if (s.tool === "eraser") {
      trace(lines, s, PALETTE ? background : "#fff", s.width);
      hints.globalCompositeOperation = "destination-out";
      trace(hints, s, "#000", s.width);
      hints.globalCompositeOperation = "source-over";
    } else {
      trace(lines, s, PALETTE ? s.colour : "#000", s.width);
    }
  }

  // The visible canvas: the lines, then the hints with a soft shadow, so that white shows on white.
  function show() {
    ctx.drawImage(lines.canvas, 0, 0);
    if (!hasHints()) return; // the hints' shadow costs the page about 6 ms a frame: only when there are hints
    ctx.save();
    ctx.shadowColor = "rgba(0, 0, 0, 0.45)";
    ctx.shadowBlur = 3;
    ctx.drawImage(hints.canvas, 0, 0);
    ctx.restore();
  }

  // A loaded image (an example, an upload) replaces what was there, as one action: one undo brings
  // the drawing before it back. A label map is scaled without blending its class colours.
  function drawImage(image) {
    clearLayers();
    lines.imageSmoothingEnabled = !PALETTE;
    lines.drawImage(image, 0, 0, canvas.width, canvas.height);
    lines.imageSmoothingEnabled = true;
  }

  function replay() {
    clearLayers();
    for (const a of actions) {
      if (a.type === "clear") clearLayers();
      else if (a.type === "image") drawImage(a.image);
      else drawStroke(a);
    }
    show();
  }

  function sinceClear() {
    const start = actions.findLastIndex((a) => a.type === "clear" || a.type === "image");
    return actions.slice(actions[start]?.type === "clear" ? start + 1 : Math.max(start, 0));
  }

  // Nothing to translate: no lines (draw), or nothing painted yet (palette).
  function isEmpty() {
    const since = sinceClear();
    return PALETTE ? !since.length : since.every((a) => a.type === "stroke" && a.tool !== "pen");
  }

  function modelTakesHints() {
    return Boolean(modelSelect.selectedOptions[0]?.dataset.hints);
  }

  function hasHints() {
    return sinceClear().some((a) => a.tool === "colour");
  }

  // What is sent: the lines, and the hints layer when there are hints the model can use.
  function snapshot() {
    smallLines.drawImage(lines.canvas, 0, 0, SEND_SIZE, SEND_SIZE);
    if (!hasHints() || !modelTakesHints()) return [smallLines.canvas.toDataURL("image/png"), null];
    smallHints.clearRect(0, 0, SEND_SIZE, SEND_SIZE);
    smallHints.drawImage(hints.canvas, 0, 0, SEND_SIZE, SEND_SIZE);
    return [smallLines.canvas.toDataURL("image/png"), smallHints.canvas.toDataURL("image/png")];
  }

  function changed() {
    version += 1;
    request();
  }

  // final: the drawing as the pen lifts, which goes at once. The server refuses the older requests in
  // flight (it stops the running one, drops the waiting one) or has answered them already; their
  // refusals come a second late, so they stop counting as in flight.
  async function request(final = false) {
    if (inFlight.size >= MAX_IN_FLIGHT && !final) {
      pending = true;
      return;
    }
    if (isEmpty()) {
      showResult(null);
      return;
    }
    if (final) inFlight.clear();
    const sent = version;
    const mine = { sent };
    inFlight.add(mine);
    pending = false;
    const [drawing, hintImage] = snapshot();
    try {
      const seed = seedInput.value || "0";
      const reply = await server.translate_drawing(drawing, hintImage, modelSelect.value, seed, PAGE_ID, sent, final);
      if (reply.superseded) {
        // another request of this page took its place on the server: its answer comes instead
      } else if (reply.busy) {
        status.textContent = reply.error;
        if (sent === version) setTimeout(changed, BUSY_RETRY_MS); // sent again once the crowd has thinned
      } else if (reply.error) {
        if (sent === version) showError(reply.error); // else a newer drawing is on its way
      } else if (!isEmpty() && sent > shown) {
        shown = sent;
        for (const r of inFlight) if (r.sent <= sent) inFlight.delete(r); // their answers would be older than this one
        showResult(reply.result ? reply : null); // no result: the pen's lines were all erased
        if (hasHints() && !modelTakesHints()) status.textContent = modelSelect.selectedOptions[0].text + " takes no colour hints: they are left out.";
      }
    } catch (e) {
      status.textContent = "The server did not answer: " + e;
    } finally {
      inFlight.delete(mine);
      if (pending) request();
    }
  }

  function showResult(reply) {
    result.hidden = seen.hidden = !reply;
    if (reply) {
      result.src = reply.result;
      seen.src = reply.edges;
      status.textContent = note;
    } else {
      result.removeAttribute("src");
      seen.removeAttribute("src");
      status.textContent = note || IDLE;
    }
  }

  // Input the model cannot use: its message, and no result (an older one would belong to other input).
  function showError(message) {
    showResult(null);
    status.textContent = message;
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [((event.clientX - box.left) / box.width) * canvas.width, ((event.clientY - box.top) / box.height) * canvas.height];
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 && event.pointerType === "mouse") return;
    const scale = canvas.width / canvas.getBoundingClientRect().width;
    const width = Number(widthInput.value) * scale * { pen: 1, colour: HINT_WIDTH, eraser: PALETTE ? 1 : 4, fill: 1 }[tool];
    const action = { type: "stroke", tool, colour, width, points: [point(event)] };
    note = "";
    actions.push(action);
    undone = [];
    drawStroke(action);
    show();
    changed();
    if (tool === "fill") return; // one tap, one fill
    canvas.setPointerCapture(event.pointerId);
    stroke = action;
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!stroke) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) stroke.points.push(point(e));
    drawStroke({ ...stroke, points: stroke.points.slice(-events.length - 1) });
    show();
    changed();
  });
  // As the pen lifts: the finished drawing goes at once if it has not gone yet, or if it went as the
  // newer of two in flight, when it most likely waits on the server behind the older one (if it is
  // being translated already, the server refuses the copy at once); else it is the one being translated.
  const end = () => {
    if (stroke && (pending || inFlight.size >= MAX_IN_FLIGHT)) request(true);
    stroke = null;
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  function setTool(name) {
    if (name === "colour" && !modelTakesHints()) name = "pen";
    tool = name;
    for (const b of element.querySelectorAll("[data-tool]")) {
      b.classList.toggle("on", b.dataset.tool === name);
      b.setAttribute("aria-pressed", String(b.dataset.tool === name));
    }
    for (const b of element.querySelectorAll("[data-colour]")) b.classList.toggle("on", name === "colour" && b.dataset.colour === colour);
  }

  function loadImage(url) {
    const image = new Image();
    image.onload = () => {
      actions.push({ type: "image", image });
      undone = [];
      replay();
      if (tool === "eraser") setTool("pen");
      changed();
    };
    image.src = url;
  }

  async function loadExample(index) {
    const url = await server.example_drawing(index);
    if (url) loadImage(url);
  }

  // An uploaded label map: the browser decodes it at the model's size (nearest neighbour, so no
  // blended colours) and the server snaps it to the palette, or says why it cannot.
  function loadUpload(file) {
    const url = URL.createObjectURL(file);
    const image = new Image();
    image.onload = async () => {
      URL.revokeObjectURL(url);
      uploaded.clearRect(0, 0, SEND_SIZE, SEND_SIZE);
      uploaded.imageSmoothingEnabled = false;
      uploaded.drawImage(image, 0, 0, SEND_SIZE, SEND_SIZE);
      const reply = await server.snap_label_map(uploaded.canvas.toDataURL("image/png"), modelSelect.value, PAGE_ID);
      if (reply.error) status.textContent = reply.error;
      else loadImage(reply.map);
    };
    image.onerror = () => {
      URL.revokeObjectURL(url);
      status.textContent = "That file is not an image this app can read: upload a PNG or JPEG label map.";
    };
    image.src = url;
  }

  const act = {
    undo() {
      if (actions.length) undone.push(actions.pop());
      replay();
      changed();
    },
    redo() {
      if (undone.length) actions.push(undone.pop());
      replay();
      changed();
    },
    clear() {
      actions.push({ type: "clear" });
      undone = [];
      replay();
      if (tool !== "fill") setTool("pen");
      changed();
    },
    download() {
      if (result.hidden) {
        status.textContent = "Nothing to download yet: draw something first.";
        return;
      }
      const pair = document.createElement("canvas");
      pair.width = 512;
      pair.height = 256;
      const pairCtx = pair.getContext("2d");
      pairCtx.drawImage(seen, 0, 0, 256, 256);
      pairCtx.drawImage(result, 256, 0, 256, 256);
      const link = document.createElement("a");
      link.download = "pix2pix_input_result.png";
      link.href = pair.toDataURL("image/png");
      link.click();
    },
    random() {
      const offered = [...element.querySelectorAll("[data-example]")].filter((b) => !b.hidden);
      if (offered.length) loadExample(Number(offered[Math.floor(Math.random() * offered.length)].dataset.example));
    },
  };

  function setColour(value) {
    colour = value;
    if (picker) picker.value = value;
    setTool("colour");
  }

  // Palette mode: a class's swatch chooses the brush's colour (the fill keeps filling with it).
  function setClass(value) {
    colour = value;
    for (const b of element.querySelectorAll("[data-class]")) b.classList.toggle("on", b.dataset.class === value);
    if (tool === "eraser") setTool("pen");
  }

  // The colour pen: shown when any model takes hints, usable while one that does is selected.
  function updateHintTools() {
    const anyTakesHints = [...modelSelect.options].some((o) => o.dataset.hints);
    const usable = modelTakesHints();
    for (const el of element.querySelectorAll("[data-needs-hints]")) {
      el.hidden = !anyTakesHints;
      el.classList.toggle("off", !usable);
      for (const control of el.matches("button") ? [el] : el.querySelectorAll("button, input")) control.disabled = !usable;
      el.dataset.title ??= el.title;
      el.title = usable ? el.dataset.title : "Colour hints need a model that takes them: pick one under Model";
    }
    if (tool === "colour" && !usable) setTool("pen");
  }

  // A model's own examples show with it, and (palette mode) its palette and its painting.
  function showModel(previous) {
    const name = modelSelect.value;
    for (const b of element.querySelectorAll("[data-example]")) b.hidden = b.dataset.for !== name;
    if (PALETTE) showPalette(name, previous);
    replay(); // also the first time: the lines layer starts white, as the visible canvas shows it
  }

  function showPalette(name, previous) {
    for (const p of element.querySelectorAll("[data-palette-of]")) p.hidden = p.dataset.paletteOf !== name;
    const swatches = [...element.querySelectorAll(`[data-palette-of="${CSS.escape(name)}"] [data-class]`)];
    background = swatches[0]?.dataset.class ?? "#fff";
    setClass((swatches[1] ?? swatches[0])?.dataset.class ?? "#000"); // the first brush is not the background
    if (previous !== undefined) {
      paintings[previous] = { actions, undone };
      ({ actions, undone } = paintings[name] ?? { actions: [], undone: [] });
      const kept = paintings[name]?.actions.length ? "your painting for it is back" : "it starts on a blank canvas";
      note = `${modelSelect.selectedOptions[0].text} has its own classes: ${kept}. Each model keeps its own painting.`;
    }
  }

  // Undo and redo from anywhere on the page while this canvas is shown, but not while typing: there
  // Ctrl+Z belongs to the text box.
  function typing(el) {
    return el && (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT" ||
      (el.tagName === "INPUT" && !["range", "color", "checkbox", "radio", "button", "file"].includes(el.type)));
  }
  function onKey(event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || !canvas.isConnected || !canvas.getClientRects().length) return;
    if (typing(document.activeElement)) return;
    const key = event.key.toLowerCase();
    if (key === "z" && !event.shiftKey) act.undo();
    else if (key === "y" || (key === "z" && event.shiftKey)) act.redo();
    else return;
    event.preventDefault();
  }
  window.__liveKeys ??= {}; // Gradio may run this script again for the same canvas: one listener each
  document.removeEventListener("keydown", window.__liveKeys[canvas.parentElement.id]);
  window.__liveKeys[canvas.parentElement.id] = onKey;
  document.addEventListener("keydown", onKey);

  element.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !element.contains(button)) return;
    if (button.dataset.tool) setTool(button.dataset.tool);
    else if (button.dataset.colour) setColour(button.dataset.colour);
    else if (button.dataset.class) setClass(button.dataset.class);
    else if (button.dataset.action) act[button.dataset.action]();
    else if (button.dataset.example !== undefined) loadExample(Number(button.dataset.example));
  });
  picker?.addEventListener("input", () => setColour(picker.value));
  upload?.addEventListener("change", () => {
    const file = upload.files[0];
    upload.value = ""; // the same file again is a new upload
    if (file) loadUpload(file);
  });
  let shownModel = modelSelect.value;
  modelSelect.addEventListener("change", () => {
    updateHintTools();
    showModel(shownModel);
    shownModel = modelSelect.value;
    changed();
  });
  seedInput.addEventListener("change", changed);
  updateHintTools();
  showModel();
  showResult(null);
  element.querySelector(".live").dataset.ready = "true"; // for scripts that drive the page
})();
