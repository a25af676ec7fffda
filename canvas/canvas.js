// The live drawing canvas (js_on_load of a gr.HTML; `element`, `props` and `server` are given).
// Pointer events draw, so mouse, touch and stylus all work. While the pen moves, the drawing is
// sent to server.translate_drawing as a small PNG, and each shoe is painted as it arrives. At most
// one request is in flight; a drawing made meanwhile replaces any older one waiting, so stale
// drawings are dropped, never queued.
(() => {
  const SEND_SIZE = 256; // the model's input size: the drawing is sent at this size
  const canvas = element.querySelector("#sketch canvas");
  const ctx = canvas.getContext("2d");
  const result = element.querySelector("#sketch-result img");
  const seen = element.querySelector("#sketch-edges");
  const status = element.querySelector("[data-status]");
  const modelSelect = element.querySelector("[data-model]");
  const seedInput = element.querySelector("[data-seed]");
  const widthInput = element.querySelector("[data-width]");
  const small = document.createElement("canvas");
  small.width = small.height = SEND_SIZE;
  const smallCtx = small.getContext("2d");

  // The drawing is a list of actions, replayed on undo: strokes, loaded examples, clears.
  let actions = [];
  let undone = [];
  let tool = "pen";
  let stroke = null;
  let inFlight = false;
  let pending = false; // the drawing changed while a request was in flight
  let version = 0; // bumps with every change; a reply for an older version is still shown, then replaced

  function paintWhite() {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }

  function drawStroke(s) {
    ctx.strokeStyle = s.erase ? "#fff" : "#000";
    ctx.lineWidth = s.width;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(s.points[0][0], s.points[0][1]);
    for (const [x, y] of s.points.slice(1)) ctx.lineTo(x, y);
    if (s.points.length === 1) ctx.lineTo(s.points[0][0] + 0.01, s.points[0][1]);
    ctx.stroke();
  }

  function replay() {
    paintWhite();
    for (const a of actions) {
      if (a.type === "clear") paintWhite();
      else if (a.type === "image") ctx.drawImage(a.image, 0, 0, canvas.width, canvas.height);
      else drawStroke(a);
    }
  }

  function isEmpty() {
    const start = actions.map((a) => a.type).lastIndexOf("clear");
    return actions.slice(start + 1).every((a) => a.type === "stroke" && a.erase);
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
    smallCtx.drawImage(canvas, 0, 0, SEND_SIZE, SEND_SIZE);
    const drawing = small.toDataURL("image/png");
    try {
      const reply = await server.translate_drawing(drawing, modelSelect.value, seedInput.value || "0");
      if (reply.error) {
        status.textContent = reply.error;
      } else if (!isEmpty()) {
        showResult(reply);
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
    const width = Number(widthInput.value) * scale * (tool === "eraser" ? 4 : 1);
    stroke = { type: "stroke", erase: tool === "eraser", width, points: [point(event)] };
    actions.push(stroke);
    undone = [];
    drawStroke(stroke);
    changed();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!stroke) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) stroke.points.push(point(e));
    drawStroke({ ...stroke, points: stroke.points.slice(-events.length - 1) });
    changed();
  });
  const end = () => {
    if (stroke) changed();
    stroke = null;
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  function setTool(name) {
    tool = name;
    for (const b of element.querySelectorAll("[data-tool]")) {
      b.classList.toggle("on", b.dataset.tool === name);
      b.setAttribute("aria-pressed", String(b.dataset.tool === name));
    }
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

  element.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !element.contains(button)) return;
    if (button.dataset.tool) setTool(button.dataset.tool);
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
  modelSelect.addEventListener("change", changed);
  seedInput.addEventListener("change", changed);
  paintWhite();
  element.querySelector(".live").dataset.ready = "true"; // for scripts that drive the page
})();
