// A small line chart on a canvas: one or more series against the training step, redrawn as points arrive.

export interface Series {
  label: string;
  color: string;
  points: [number, number][];
}

export class LineChart {
  private readonly ctx: CanvasRenderingContext2D;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly title: string, private readonly series: Series[],
    private readonly range?: [number, number]) {
    this.ctx = canvas.getContext('2d')!;
    this.draw();
  }

  add(label: string, x: number, y: number): void {
    this.series.find((s) => s.label === label)?.points.push([x, y]);
    this.draw();
  }

  clear(): void {
    for (const s of this.series) s.points.length = 0;
    this.draw();
  }

  private draw(): void {
    const { ctx, canvas } = this;
    const [w, h] = [canvas.width, canvas.height];
    const pad = { l: 44, r: 10, t: 22, b: 22 };
    ctx.clearRect(0, 0, w, h);
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillStyle = '#1d2430';
    ctx.fillText(this.title, pad.l, 14);
    const all = this.series.flatMap((s) => s.points);
    const xMax = Math.max(1, ...all.map((p) => p[0]));
    let [yMin, yMax] = this.range ?? [Math.min(...all.map((p) => p[1]), 0), Math.max(...all.map((p) => p[1]), 0)];
    if (yMax <= yMin) yMax = yMin + 1; // no points yet, or a flat series
    const px = (x: number) => pad.l + (x / xMax) * (w - pad.l - pad.r);
    const py = (y: number) => h - pad.b - ((y - yMin) / (yMax - yMin)) * (h - pad.t - pad.b);
    ctx.strokeStyle = '#d8dee8';
    ctx.fillStyle = '#5d6778';
    for (let i = 0; i <= 4; i++) {
      const y = yMin + ((yMax - yMin) * i) / 4;
      ctx.beginPath();
      ctx.moveTo(pad.l, py(y));
      ctx.lineTo(w - pad.r, py(y));
      ctx.stroke();
      ctx.fillText(y.toFixed(2), 4, py(y) + 4);
    }
    ctx.fillText(`step ${xMax}`, w - pad.r - 60, h - 6);
    let legend = pad.l + 120;
    for (const s of this.series) {
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      s.points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(px(x), py(y)) : ctx.lineTo(px(x), py(y))));
      ctx.stroke();
      if (s.points.length === 1) ctx.fillRect(px(s.points[0]![0]) - 2, py(s.points[0]![1]) - 2, 4, 4);
      ctx.fillText(s.label, legend, 14);
      legend += ctx.measureText(s.label).width + 16;
      ctx.lineWidth = 1;
    }
  }
}
