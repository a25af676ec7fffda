// The live drawing canvas (js_on_load of a gr.HTML; `element`, `props` and `server` are given).
// Pointer events draw, so mouse, touch and stylus all work. The drawing has two layers: black
// lines (the edge map) and colour hints (transparent where there are none); the visible canvas
// shows the hints over the lines. While the pen moves, both layers are sent to
// server.translate_drawing as small PNGs, and each shoe is painted as it arrives. At most
// one request is in flight; a drawing made meanwhile replaces any older one waiting, so stale
// drawings are dropped, never queued.
(() => {
  const SEND_SIZE = 256; // the model's input size: the drawing is sent at this size
  const PAGE_ID = Math.random().toString(36).slice(2); // the server's fair share tells pages apart by it
  const BUSY_RETRY_MS = 1000; // after a "busy" answer, the drawing is sent again this much later
  const canvas = element.querySelector("#sketch canvas");
  const ctx = canvas.getContext("2d");
  const result = element.querySelector("#sketch-result img");
  const seen = element.querySelector("#sketch-edges");
  const status = element.querySelector("[data-status]");
  const modelSelect = element.querySelector("[data-model]");
  const seedInput = element.querySelector("[data-seed]");
  const widthInput = element.querySelector("[data-width]");
  const picker = element.querySelector("[data-picker]");
  const layer = (size) => {
    const c = document.createElement("canvas");
    c.width = c.height = size;
    return c.getContext("2d");
  };
  const lines = layer(canvas.width); // white, with black lines
  const hints = layer(canvas.width); // transparent, with colour strokes
  const smallLines = layer(SEND_SIZE);
  const smallHints = layer(SEND_SIZE);
  const HINT_WIDTH = 3; // a colour stroke is this many times the pen's width: a dab, not a line

  // The drawing is a list of actions, replayed on undo: strokes, loaded examples, clears.
  let actions = [];
  let undone = [];
  let tool = "pen";
  let colour = picker.value;
  let stroke = null;
  let inFlight = false;
  let pending = false; // the drawing changed while a request was in flight
  let version = 0; // bumps with every change; a reply for an older version is still shown, then replaced

  function clearLayers() {
    lines.fillStyle = "#fff";
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

  // A stroke goes to its layer: the pen draws lines, the colour pen hints, the eraser wipes both.
  function drawStroke(s) {
    if (s.tool === "colour") {
      trace(hints, s, s.colour, s.width);
    } else if (s.tool === "eraser") {
      trace(lines, s, "#fff", s.width);
      hints.globalCompositeOperation = "destination-out";
      trace(hints, s, "#000", s.width);
      hints.globalCompositeOperation = "source-over";
    } else {
      trace(lines, s, "#000", s.width);
    }
  }

  // The visible canvas: the lines, then the hints with a soft shadow, so that white shows on white.
  function show() {
    ctx.drawImage(lines.canvas, 0, 0);
    ctx.save();
    ctx.shadowColor = "rgba(0, 0, 0, 0.45)";
    ctx.shadowBlur = 3;
    ctx.drawImage(hints.canvas, 0, 0);
    ctx.restore();
  }

  function replay() {
    clearLayers();
    for (const a of actions) {
      if (a.type === "clear") clearLayers();
      else if (a.type === "image") lines.drawImage(a.image, 0, 0, canvas.width, canvas.height);
      else drawStroke(a);
    }
    show();
  }

  function sinceClear() {
    return actions.slice(actions.map((a) => a.type).lastIndexOf("clear") + 1);
  }

  function isEmpty() {
    return sinceClear().every((a) => a.type === "stroke" && a.tool !== "pen");
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

  async function request() {
    if (inFlight) {
      pending = true;
      return;
    }
    if (isEmpty()) {
      showResult(null);
      return;
    }
    inFlight = true;
    pending = false;
    const [drawing, hintImage] = snapshot();
    try {
      const reply = await server.translate_drawing(drawing, hintImage, modelSelect.value, seedInput.value || "0", PAGE_ID);
      if (reply.superseded) {
        // another request of this page took its place on the server: its answer comes instead
      } else if (reply.busy) {
        status.textContent = reply.error;
        setTimeout(changed, BUSY_RETRY_MS); // the same drawing, sent again once the crowd has thinned
      } else if (reply.error) {
        status.textContent = reply.error;
      } else if (!isEmpty()) {
        showResult(reply);
        if (hasHints() && !modelTakesHints()) status.textContent = modelSelect.selectedOptions[0].text + " takes no colour hints: they are left out.";
      }
    } catch (e) {
      status.textContent = "The server did not answer: " + e;
    } finally {
      inFlight = false;
      if (pending) request();
    }
  }

  function showResult(reply) {
    result.hidden = seen.hidden = !reply;
    if (reply) {
      result.src = reply.result;
      seen.src = reply.edges;
      status.textContent = "";
    } else {
      result.removeAttribute("src");
      seen.removeAttribute("src");
      status.textContent = "Draw the outline of a shoe: it appears here as you draw.";
    }
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [((event.clientX - box.left) / box.width) * canvas.width, ((event.clientY - box.top) / box.height) * canvas.height];
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 && event.pointerType === "mouse") return;
    canvas.setPointerCapture(event.pointerId);
    const scale = canvas.width / canvas.getBoundingClientRect().width;
    const width = Number(widthInput.value) * scale * { pen: 1, colour: HINT_WIDTH, eraser: 4 }[tool];
    stroke = { type: "stroke", tool, colour, width, points: [point(event)] };
    actions.push(stroke);
    undone = [];
    drawStroke(stroke);
    show();
    changed();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!stroke) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) stroke.points.push(point(e));
    drawStroke({ ...stroke, points: stroke.points.slice(-events.length - 1) });
    show();
    changed();
  });
  const end = () => {
    if (stroke) changed();
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

  async function loadExample(index) {
    const url = await server.example_drawing(index);
    if (!url) return;
    const image = new Image();
    image.onload = () => {
      actions.push({ type: "clear" }, { type: "image", image });
      undone = [];
      replay();
      setTool("pen");
      changed();
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
      setTool("pen");
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
      const count = element.querySelectorAll("[data-example]").length;
      if (count) loadExample(Math.floor(Math.random() * count));
    },
  };

  function setColour(value) {
    colour = value;
    picker.value = value;
    setTool("colour");
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

  element.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !element.contains(button)) return;
    if (button.dataset.tool) setTool(button.dataset.tool);
    else if (button.dataset.colour) setColour(button.dataset.colour);
    else if (button.dataset.action) act[button.dataset.action]();
    else if (button.dataset.example !== undefined) loadExample(Number(button.dataset.example));
  });
  element.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey)) return;
    if (event.key === "z") act.undo();
    else if (event.key === "y") act.redo();
    else return;
    event.preventDefault();
  });
  picker.addEventListener("input", () => setColour(picker.value));
  modelSelect.addEventListener("change", () => {
    updateHintTools();
    changed();
  });
  seedInput.addEventListener("change", changed);
  updateHintTools();
  replay();
  element.querySelector(".live").dataset.ready = "true"; // for scripts that drive the page
})();
