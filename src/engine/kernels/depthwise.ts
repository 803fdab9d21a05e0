// Depthwise convolution on channels-last data as range kernels: the forward and the input gradient
// by rows, the weight gradient by taps, the bias gradient by channels, so each output element is
// computed the same way whichever thread runs it.
//
/** Geometry of a channels-last depthwise convolution. */
export interface DwGeom {
  b: number; h: number; w: number; c: number; kh: number; kw: number; s: number; p: number; ho: number; wo: number;
}

// The kernels are standalone functions over their arguments (loops in an op body would read buffers
// through the closure context shared with the backward function). Each keeps four channels of
// output in local accumulators while it walks the taps, so a multiply-add costs two loads instead
// of three loads and a store.

/**
 * out[o + ch] (=|+=) sum_t src[srcOff[t] + ch] * wt[wOff[t] + ch] over nt taps, ch < c, starting
 * from init[ch] (bias) or 0.
 */
function tapSum(src: Float32Array, wt: Float32Array, srcOff: Int32Array, wOff: Int32Array, nt: number,
  c: number, out: Float32Array, o: number, init: Float32Array | null, accumulate: boolean): void {
  let ch = 0;
  for (; ch + 4 <= c; ch += 4) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (let t = 0; t < nt; t++) {
      const xb = srcOff[t]! + ch;
      const wb = wOff[t]! + ch;
      a0 += src[xb]! * wt[wb]!;
      a1 += src[xb + 1]! * wt[wb + 1]!;
      a2 += src[xb + 2]! * wt[wb + 2]!;
      a3 += src[xb + 3]! * wt[wb + 3]!;
    }
    if (init !== null) { a0 += init[ch]!; a1 += init[ch + 1]!; a2 += init[ch + 2]!; a3 += init[ch + 3]!; }
    if (accumulate) { out[o + ch] += a0; out[o + ch + 1] += a1; out[o + ch + 2] += a2; out[o + ch + 3] += a3; }
    else { out[o + ch] = a0; out[o + ch + 1] = a1; out[o + ch + 2] = a2; out[o + ch + 3] = a3; }
  }
  for (; ch < c; ch++) {
    let acc = init !== null ? init[ch]! : 0;
    for (let t = 0; t < nt; t++) acc += src[srcOff[t]! + ch]! * wt[wOff[t]! + ch]!;
    if (accumulate) out[o + ch] += acc;
    else out[o + ch] = acc;
  }
}

/** Forward of output rows [r0, r1) (row r = n * ho + oh) into od, starting from the bias. */
export function dwForwardRows(g: DwGeom, xd: Float32Array, wt: Float32Array, bd: Float32Array | null, od: Float32Array,
  r0: number, r1: number): void {
  const { h, w, c, kh, kw, s, p, ho, wo } = g;
  const xo = new Int32Array(kh * kw);
  const wofs = new Int32Array(kh * kw);
  for (let r = r0; r < r1; r++) {
    const n = Math.floor(r / ho);
    const oh = r - n * ho;
    const ih0 = oh * s - p;
    for (let ow = 0; ow < wo; ow++) {
      const iw0 = ow * s - p;
      let nt = 0;
      for (let i = 0; i < kh; i++) {
        const ih = ih0 + i;
        if (ih < 0 || ih >= h) continue;
        for (let j = 0; j < kw; j++) {
          const iw = iw0 + j;
          if (iw < 0 || iw >= w) continue;
          xo[nt] = ((n * h + ih) * w + iw) * c;
          wofs[nt] = (i * kw + j) * c;
          nt++;
        }
      }
      tapSum(xd, wt, xo, wofs, nt, c, od, ((n * ho + oh) * wo + ow) * c, bd, false);
    }
  }
}

/**
 * dx for stride 1 as a gather, input rows [r0, r1) (row r = n * h + ih):
 * dx[n, ih, iw] = sum over taps (i, j) of g[n, ih + p - i, iw + p - j] * w[i, j].
 */
export function dwBackwardInputRows(geo: DwGeom, g: Float32Array, wt: Float32Array, gx: Float32Array, accumulate: boolean,
  r0: number, r1: number): void {
  const { h, w, c, kh, kw, p, ho, wo } = geo;
  const go = new Int32Array(kh * kw);
  const wofs = new Int32Array(kh * kw);
  for (let r = r0; r < r1; r++) {
    const n = Math.floor(r / h);
    const ih = r - n * h;
    for (let iw = 0; iw < w; iw++) {
      let nt = 0;
      for (let i = 0; i < kh; i++) {
        const oh = ih + p - i;
        if (oh < 0 || oh >= ho) continue;
        for (let j = 0; j < kw; j++) {
          const ow = iw + p - j;
          if (ow < 0 || ow >= wo) continue;
          go[nt] = ((n * ho + oh) * wo + ow) * c;
          wofs[nt] = (i * kw + j) * c;
          nt++;
        }
      }
      tapSum(g, wt, go, wofs, nt, c, gx, ((n * h + ih) * w + iw) * c, null, accumulate);
    }
  }
}

/** dx for any stride, scattered tap by tap. */
export function dwBackwardInputScatter(geo: DwGeom, g: Float32Array, wt: Float32Array, gx: Float32Array): void {
  const { b, h, w, c, kh, kw, s, p, ho, wo } = geo;
  for (let n = 0; n < b; n++) {
    for (let oh = 0; oh < ho; oh++) {
      for (let ow = 0; ow < wo; ow++) {
        const ob = ((n * ho + oh) * wo + ow) * c;
        for (let i = 0; i < kh; i++) {
          const ih = oh * s - p + i;
          if (ih < 0 || ih >= h) continue;
          for (let j = 0; j < kw; j++) {
            const iw = ow * s - p + j;
            if (iw < 0 || iw >= w) continue;
            const xb = ((n * h + ih) * w + iw) * c;
            const wb = (i * kw + j) * c;
            for (let ch = 0; ch < c; ch++) gx[xb + ch] += g[ob + ch]! * wt[wb + ch]!;
          }
        }
      }
    }
  }
}

/** d(weight) of taps [t0, t1) in tap-major layout: gwt[t, ch] += sum over output positions of g * x under tap t. */
export function dwBackwardWeightTaps(geo: DwGeom, g: Float32Array, xd: Float32Array, gwt: Float32Array, t0: number, t1: number): void {
  const { b, h, w, c, kh, kw, s, p, ho, wo } = geo;
  for (let i = 0; i < kh; i++) {
    // Output rows/cols whose input under this tap is inside the image.
    const oh0 = Math.max(0, Math.ceil((p - i) / s));
    const oh1 = Math.min(ho, Math.floor((h - 1 + p - i) / s) + 1);
    for (let j = 0; j < kw; j++) {
      if (i * kw + j < t0 || i * kw + j >= t1) continue;
      const ow0 = Math.max(0, Math.ceil((p - j) / s));
      const ow1 = Math.min(wo, Math.floor((w - 1 + p - j) / s) + 1);
      if (oh0 >= oh1 || ow0 >= ow1) continue;
      const tb = (i * kw + j) * c;
      let ch = 0;
      for (; ch + 4 <= c; ch += 4) {
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (let n = 0; n < b; n++) {
          for (let oh = oh0; oh < oh1; oh++) {
            const ih = oh * s - p + i;
            let gb = ((n * ho + oh) * wo + ow0) * c + ch;
            let xb = ((n * h + ih) * w + ow0 * s - p + j) * c + ch;
            const xstep = s * c;
            for (let ow = ow0; ow < ow1; ow++, gb += c, xb += xstep) {
              a0 += g[gb]! * xd[xb]!;
              a1 += g[gb + 1]! * xd[xb + 1]!;
              a2 += g[gb + 2]! * xd[xb + 2]!;
              a3 += g[gb + 3]! * xd[xb + 3]!;
            }
          }
        }
        gwt[tb + ch] += a0; gwt[tb + ch + 1] += a1; gwt[tb + ch + 2] += a2; gwt[tb + ch + 3] += a3;
      }
      for (; ch < c; ch++) {
        let acc = 0;
        for (let n = 0; n < b; n++) {
          for (let oh = oh0; oh < oh1; oh++) {
            const ih = oh * s - p + i;
            for (let ow = ow0; ow < ow1; ow++) acc += g[((n * ho + oh) * wo + ow) * c + ch]! * xd[((n * h + ih) * w + ow * s - p + j) * c + ch]!;
          }
        }
        gwt[tb + ch] += acc;
      }
    }
  }
}

/** Column sums of columns [j0, j1): out[j] += sum_r g[r * n + j], rows in order. */
export function columnSums(g: Float32Array, rows: number, n: number, out: Float32Array, j0: number, j1: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    for (let j = j0; j < j1; j++) out[j] += g[base + j]!;
  }
}

