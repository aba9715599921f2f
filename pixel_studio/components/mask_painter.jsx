// The mask painter (components/mask_painter.py inserts this into the page module).
// One canvas at the image's own resolution lies over the picture: pointer coordinates are
// scaled into image pixels, so strokes (not a bitmap) are scaled and the mask is exact.
// Everything painted is a list of operations, redrawn on undo; the mask sent to the backend
// is that canvas thresholded to black (keep) / white (change), as a PNG data URL.
function MaskPainter({ src, alt, naturalWidth, naturalHeight, idPrefix, onChange }) {
  const width = Math.max(1, naturalWidth | 0);
  const height = Math.max(1, naturalHeight | 0);
  const canvasRef = useRef(null);
  const opsRef = useRef([]);
  const strokeRef = useRef(null);
  const [count, setCount] = useState(0);
  const [brush, setBrush] = useState(Math.max(4, Math.round(Math.min(width, height) / 12)));
  const [erase, setErase] = useState(false);
  const [rect, setRect] = useState({
    x: Math.round(width / 4), y: Math.round(height / 4),
    w: Math.round(width / 2), h: Math.round(height / 2),
  });
  const [focused, setFocused] = useState(false);
  const [said, setSaid] = useState("");
  const LIMIT = 900000; // the socket takes 1 MB; leave room for the rest of the event

  const draw = useCallback((ctx, op) => {
    ctx.globalCompositeOperation = op.erase ? "destination-out" : "source-over";
    ctx.fillStyle = ctx.strokeStyle = "rgb(255, 0, 110)";
    if (op.kind === "rect") {
      ctx.fillRect(op.x, op.y, op.w, op.h);
      return;
    }
    ctx.lineWidth = op.size;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    const [x0, y0] = op.points[0];
    ctx.moveTo(x0, y0);
    if (op.points.length === 1) ctx.lineTo(x0 + 0.01, y0);
    for (const [x, y] of op.points.slice(1)) ctx.lineTo(x, y);
    ctx.stroke();
  }, []);

  const redraw = useCallback(() => {
    const ctx = canvasRef.current && canvasRef.current.getContext("2d");
    if (!ctx) return;
    ctx.globalCompositeOperation = "source-over";
    ctx.clearRect(0, 0, width, height);
    for (const op of opsRef.current) draw(ctx, op);
  }, [draw, width, height]);

  // Thresholded mask: 255 where painted (alpha at least half), 0 elsewhere; "" when empty.
  const emit = useCallback(() => {
    const canvas = canvasRef.current;
    if (!canvas || !onChange) return;
    const painted = canvas.getContext("2d").getImageData(0, 0, width, height).data;
    const out = document.createElement("canvas");
    out.width = width;
    out.height = height;
    const octx = out.getContext("2d");
    const image = octx.createImageData(width, height);
    let any = 0;
    for (let i = 0; i < painted.length; i += 4) {
      const v = painted[i + 3] >= 128 ? 255 : 0;
      any |= v;
      image.data[i] = image.data[i + 1] = image.data[i + 2] = v;
      image.data[i + 3] = 255;
    }
    octx.putImageData(image, 0, 0);
    const url = any ? out.toDataURL("image/png") : "";
    if (url.length > LIMIT) {
      setSaid("This mask is too detailed to send. Use fewer, larger strokes.");
      onChange("too-large");
      return;
    }
    onChange(url);
  }, [onChange, width, height]);

  const commit = useCallback((op, words) => {
    opsRef.current = [...opsRef.current, op];
    setCount(opsRef.current.length);
    redraw();
    emit();
    if (words) setSaid(words);
  }, [redraw, emit]);

  useEffect(() => { opsRef.current = []; setCount(0); redraw(); }, [src, redraw]);

  const toImage = (event) => {
    const box = canvasRef.current.getBoundingClientRect();
    return [
      Math.round(((event.clientX - box.left) * width) / box.width),
      Math.round(((event.clientY - box.top) * height) / box.height),
    ];
  };

  const down = (event) => {
    if (event.button !== undefined && event.button > 0) return;
    event.preventDefault();
    canvasRef.current.setPointerCapture(event.pointerId);
    // A pen's pressure thins the line a little; a mouse or finger reports 0.5 or 0.
    const pressure = event.pointerType === "pen" && event.pressure > 0 ? event.pressure : 0.5;
    const size = Math.max(1, Math.round(brush * (0.5 + pressure)));
    strokeRef.current = { kind: "stroke", erase, size, points: [toImage(event)] };
    const ctx = canvasRef.current.getContext("2d");
    draw(ctx, strokeRef.current);
  };
  const move = (event) => {
    const stroke = strokeRef.current;
    if (!stroke) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) stroke.points.push(toImage(e));
    redraw();
    draw(canvasRef.current.getContext("2d"), stroke);
  };
  const up = () => {
    const stroke = strokeRef.current;
    strokeRef.current = null;
    if (stroke) commit(stroke, "");
  };

  const undo = () => {
    opsRef.current = opsRef.current.slice(0, -1);
    setCount(opsRef.current.length);
    redraw();
    emit();
    setSaid("Undone.");
  };
  const clear = () => {
    opsRef.current = [];
    setCount(0);
    redraw();
    emit();
    setSaid("Mask cleared.");
  };

  // Keyboard: a rectangle moved with the arrows, sized with Shift+arrows, added with Enter.
  const key = (event) => {
    const step = Math.max(1, Math.round(Math.min(width, height) / (event.altKey ? 128 : 32)));
    const r = { ...rect };
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      const [dx, dy] = moves[event.key];
      if (event.shiftKey) {
        r.w = Math.min(width - r.x, Math.max(step, r.w + dx));
        r.h = Math.min(height - r.y, Math.max(step, r.h + dy));
      } else {
        r.x = Math.min(width - r.w, Math.max(0, r.x + dx));
        r.y = Math.min(height - r.h, Math.max(0, r.y + dy));
      }
      event.preventDefault();
      setRect(r);
      setSaid(`Rectangle at ${r.x}, ${r.y}, ${r.w} by ${r.h} pixels.`);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      commit({ kind: "rect", erase, ...rect },
        `${erase ? "Erased" : "Painted"} a ${rect.w} by ${rect.h} rectangle.`);
    } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      event.preventDefault();
      if (opsRef.current.length) undo();
    }
  };

  const pct = (v, total) => `${(v * 100) / total}%`;
  const help = `${idPrefix}-help`;
  return (
    <div className="ps-painter" data-testid="mask-painter">
      <div className="ps-painter-tools" role="toolbar" aria-label="Mask tools">
        <label htmlFor={`${idPrefix}-brush`} className="ps-painter-brush">
          <span>Brush size</span>
          <input id={`${idPrefix}-brush`} type="range" min="2" max={Math.max(8, Math.round(Math.min(width, height) / 3))}
            value={brush} onChange={(e) => setBrush(Number(e.target.value))}
            aria-valuetext={`${brush} pixels`} />
          <span aria-hidden="true">{brush}px</span>
        </label>
        <button type="button" className="ps-painter-button" aria-pressed={!erase}
          onClick={() => setErase(false)}>Brush</button>
        <button type="button" className="ps-painter-button" aria-pressed={erase}
          onClick={() => setErase(true)}>Eraser</button>
        <button type="button" className="ps-painter-button" disabled={count === 0}
          onClick={undo}>Undo</button>
        <button type="button" className="ps-painter-button" disabled={count === 0}
          onClick={clear}>Clear</button>
      </div>
      <div className="ps-painter-stage" style={{ aspectRatio: `${width} / ${height}` }}>
        <img src={src} alt={alt} width={width} height={height} draggable="false" />
        <canvas
          ref={canvasRef}
          width={width}
          height={height}
          tabIndex={0}
          role="img"
          aria-label={`Mask over the image, ${count} ${count === 1 ? "mark" : "marks"}`}
          aria-describedby={help}
          data-testid="mask-canvas"
          onPointerDown={down}
          onPointerMove={move}
          onPointerUp={up}
          onPointerCancel={up}
          onKeyDown={key}
          onFocus={() => setFocused(true)}
          onBlur={() => setFocused(false)}
        />
        {focused ? (
          <div className="ps-painter-rect" aria-hidden="true" data-erase={erase ? "1" : "0"}
            style={{ left: pct(rect.x, width), top: pct(rect.y, height),
                     width: pct(rect.w, width), height: pct(rect.h, height) }} />
        ) : null}
      </div>
      <p id={help} className="ps-painter-help">
        Paint where the picture should change. Keyboard: focus the picture, move the
        rectangle with the arrow keys, size it with Shift+arrows (Alt for fine steps), press
        Enter to add it (or erase it with the eraser on); Ctrl+Z undoes.
      </p>
      <span role="status" aria-live="polite" className="ps-sr-only">{said}</span>
    </div>
  );
}
